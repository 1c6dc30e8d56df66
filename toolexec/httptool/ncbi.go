package httptool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dive-env/dive/toolexec"
)

const eutils = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"

// entrezDatabases are the Entrez database names the reference manifests accept.
var entrezDatabases = []string{"pubmed", "protein", "nucleotide", "nuccore", "gene", "genome", "structure", "pmc",
	"taxonomy", "snp", "geo", "sra", "books", "cancerchromosomes", "cdd", "gap", "domains", "genomeprj", "gensat", "gds",
	"homologene", "journals", "mesh", "ncbisearch", "nlmcatalog", "omia", "omim", "popset", "probe", "proteinclusters",
	"pcassay", "pccompound", "pcsubstance", "toolkit", "unigene", "unists"}

func dbParam(desc, def string) string {
	enum, _ := json.Marshal(entrezDatabases)
	s := `{"type": "string", "enum": ` + string(enum) + `, "description": "` + desc + `"`
	if def != "" {
		s += `, "default": "` + def + `"`
	}
	return s + `}`
}

// httpTool is one remote-API tool: its manifest and how a call becomes a request.
type httpTool struct {
	id, description, params string
	endpoint                string
	fixed                   url.Values // parameters every request carries (retmode=json ...)
}

func (t httpTool) manifest() toolexec.Manifest {
	parts := strings.Split(t.id, ".")
	return toolexec.Manifest{ID: t.id, Name: parts[len(parts)-1], Domain: parts[0], Source: "ncbi", Version: "1.0.0",
		Description: t.description, Module: "http:" + t.endpoint, Auth: map[string]any{"type": "none"},
		Meta: map[string]any{"upstream_api": t.endpoint}, Parameters: json.RawMessage(t.params), Executor: "http"}
}

// query turns validated arguments into query parameters, the way E-utilities
// name them: the argument names are the API's own.
func query(args json.RawMessage) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	q := url.Values{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			q.Set(k, v)
		case json.Number:
			q.Set(k, v.String())
		case bool:
			q.Set(k, strconv.FormatBool(v))
		case nil:
		default:
			return nil, fmt.Errorf("argument %s must be a string, number or boolean", k)
		}
	}
	return q, nil
}

func (t httpTool) executor(c *Client, _ func(string) string) toolexec.Executor {
	return toolexec.ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		q, err := query(args)
		if err != nil {
			return nil, err
		}
		for k, vs := range t.fixed {
			if q.Get(k) == "" {
				q[k] = vs
			}
		}
		q.Set("tool", "dive")
		if email := c.opts.Getenv("NCBI_EMAIL"); email != "" {
			q.Set("email", email)
		}
		if key := c.opts.Getenv("NCBI_API_KEY"); key != "" {
			q.Set("api_key", key)
		}
		body, mediaType, err := c.Get(ctx, t.endpoint, q)
		if err != nil {
			return nil, err
		}
		return result(body, mediaType), nil
	})
}

func ncbiTools() []httpTool {
	jsonMode := url.Values{"retmode": {"json"}}
	date := func(pattern string) string {
		return `{"type": "string", "pattern": "` + pattern + `", "description": "YYYY, YYYY/MM or YYYY/MM/DD."}`
	}
	return []httpTool{
		{
			id: "biological.ncbi_entrez.ncbi_entrez_search", endpoint: eutils + "esearch.fcgi", fixed: jsonMode,
			description: "Search an NCBI Entrez database (ESearch): the matching UIDs and their count, with paging, sorting and date limits. Needs network access.",
			params: `{"type": "object", "required": ["db", "term"], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database.", "") + `,
				"term": {"type": "string", "minLength": 1, "description": "Entrez query, e.g. BRCA1[gene] AND human[orgn]."},
				"retmax": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 20},
				"retstart": {"type": "integer", "minimum": 0, "default": 0},
				"sort": {"type": "string", "enum": ["relevance", "pub_date", "author", "journal"]},
				"rettype": {"type": "string", "enum": ["uilist", "count"], "default": "uilist"},
				"datetype": {"type": "string", "enum": ["mdat", "pdat", "edat", "crdt", "mhda"]},
				"mindate": ` + date(`^\\d{4}(/\\d{2})?(/\\d{2})?$`) + `, "maxdate": ` + date(`^\\d{4}(/\\d{2})?(/\\d{2})?$`) + `}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_fetch", endpoint: eutils + "efetch.fcgi",
			description: "Fetch full records from an NCBI Entrez database (EFetch), e.g. FASTA or GenBank sequences or PubMed abstracts. Needs network access.",
			params: `{"type": "object", "required": ["db", "id"], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database.", "") + `,
				"id": {"type": "string", "minLength": 1, "description": "UIDs or accessions, comma-separated."},
				"rettype": {"type": "string", "enum": ["xml", "fasta", "gb", "abstract", "medline", "docsum", "uilist"]},
				"retmode": {"type": "string", "enum": ["xml", "text", "json", "html"]},
				"retstart": {"type": "integer", "minimum": 0, "default": 0},
				"retmax": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 20},
				"strand": {"type": "integer", "enum": [1, 2], "description": "1 plus, 2 minus strand."},
				"seq_start": {"type": "integer", "minimum": 1}, "seq_stop": {"type": "integer", "minimum": 1},
				"complexity": {"type": "integer", "enum": [0, 1, 2]}}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_summary", endpoint: eutils + "esummary.fcgi", fixed: jsonMode,
			description: "Document summaries for UIDs of an NCBI Entrez database (ESummary). Needs network access.",
			params: `{"type": "object", "required": ["db", "id"], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database.", "") + `,
				"id": {"type": "string", "minLength": 1, "description": "UIDs, comma-separated."},
				"retstart": {"type": "integer", "minimum": 0, "default": 0},
				"retmax": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 20},
				"version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0"}}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_einfo", endpoint: eutils + "einfo.fcgi", fixed: jsonMode,
			description: "The list of Entrez databases, or one database's description, record count and search fields (EInfo). Needs network access.",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database; omit for the list of all.", "") + `,
				"version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0"}}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_elink", endpoint: eutils + "elink.fcgi", fixed: jsonMode,
			description: "Records linked to UIDs across Entrez databases (ELink), e.g. proteins of a gene or articles citing a paper. Needs network access.",
			params: `{"type": "object", "required": ["dbfrom", "db", "id"], "additionalProperties": false, "properties": {
				"dbfrom": ` + dbParam("Database of the given UIDs.", "") + `, "db": ` + dbParam("Database to link to.", "") + `,
				"id": {"type": "string", "minLength": 1, "description": "UIDs, comma-separated."},
				"linkname": {"type": "string", "description": "A specific link, e.g. gene_protein."},
				"term": {"type": "string", "description": "Entrez query limiting the linked records."},
				"holding": {"type": "string", "description": "LinkOut provider."},
				"datetype": {"type": "string", "enum": ["mdat", "pdat", "edat"]},
				"reldate": {"type": "integer", "minimum": 0, "description": "Only records within this many days."},
				"mindate": ` + date(`^\\d{4}(/\\d{2}(/\\d{2})?)?$`) + `, "maxdate": ` + date(`^\\d{4}(/\\d{2}(/\\d{2})?)?$`) + `,
				"cmd": {"type": "string", "enum": ["neighbor", "neighbor_score", "acheck", "ncheck", "lcheck", "llinks", "llinkslib", "prlinks"], "default": "neighbor"}}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_ecitmatch", endpoint: eutils + "ecitmatch.cgi", fixed: url.Values{"db": {"pubmed"}, "retmode": {"xml"}},
			description: "Find PubMed IDs of citations (ECitMatch). bdata: journal|year|volume|first page|author|key|, one citation per line. Needs network access.",
			params: `{"type": "object", "required": ["bdata"], "additionalProperties": false, "properties": {
				"bdata": {"type": "string", "minLength": 1, "description": "Citation strings, e.g. proc natl acad sci u s a|1991|88|3248|mann bj|Art1|"}}}`,
		},
		{
			id: "biological.ncbi_entrez.ncbi_entrez_espell", endpoint: eutils + "espell.fcgi",
			description: "Spelling suggestions for an Entrez query (ESpell). Needs network access.",
			params: `{"type": "object", "required": ["term"], "additionalProperties": false, "properties": {
				"term": {"type": "string", "minLength": 1, "description": "The query to check."},
				"db": ` + dbParam("Entrez database.", "pubmed") + `}}`,
		},
	}
}
