package httptool

import (
	"encoding/json"
	"net/url"
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

// ncbiPrepare identifies the caller to NCBI and adds the API key, as the
// E-utilities usage policy asks.
func ncbiPrepare(r *Request, getenv func(string) string) {
	r.Query.Set("tool", "dive")
	if email := getenv("NCBI_EMAIL"); email != "" {
		r.Query.Set("email", email)
	}
	if key := getenv("NCBI_API_KEY"); key != "" {
		r.Query.Set("api_key", key)
	}
}

func ncbiTools() []httpTool {
	jsonMode := url.Values{"retmode": {"json"}}
	date := func(pattern string) string {
		return `{"type": "string", "pattern": "` + pattern + `", "description": "YYYY, YYYY/MM or YYYY/MM/DD."}`
	}
	return []httpTool{
		{
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_search", endpoint: eutils + "esearch.fcgi", fixed: jsonMode,
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
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_fetch", endpoint: eutils + "efetch.fcgi",
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
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_summary", endpoint: eutils + "esummary.fcgi", fixed: jsonMode,
			description: "Document summaries for UIDs of an NCBI Entrez database (ESummary). Needs network access.",
			params: `{"type": "object", "required": ["db", "id"], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database.", "") + `,
				"id": {"type": "string", "minLength": 1, "description": "UIDs, comma-separated."},
				"retstart": {"type": "integer", "minimum": 0, "default": 0},
				"retmax": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 20},
				"version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0"}}}`,
		},
		{
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_einfo", endpoint: eutils + "einfo.fcgi", fixed: jsonMode,
			description: "The list of Entrez databases, or one database's description, record count and search fields (EInfo). Needs network access.",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"db": ` + dbParam("Entrez database; omit for the list of all.", "") + `,
				"version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0"}}}`,
		},
		{
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_elink", endpoint: eutils + "elink.fcgi", fixed: jsonMode,
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
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_ecitmatch", endpoint: eutils + "ecitmatch.cgi", fixed: url.Values{"db": {"pubmed"}, "retmode": {"xml"}},
			description: "Find PubMed IDs of citations (ECitMatch). bdata: journal|year|volume|first page|author|key|, one citation per line. Needs network access.",
			params: `{"type": "object", "required": ["bdata"], "additionalProperties": false, "properties": {
				"bdata": {"type": "string", "minLength": 1, "description": "Citation strings, e.g. proc natl acad sci u s a|1991|88|3248|mann bj|Art1|"}}}`,
		},
		{
			source: "ncbi", prepare: ncbiPrepare, id: "biological.ncbi_entrez.ncbi_entrez_espell", endpoint: eutils + "espell.fcgi",
			description: "Spelling suggestions for an Entrez query (ESpell). Needs network access.",
			params: `{"type": "object", "required": ["term"], "additionalProperties": false, "properties": {
				"term": {"type": "string", "minLength": 1, "description": "The query to check."},
				"db": ` + dbParam("Entrez database.", "pubmed") + `}}`,
		},
	}
}
