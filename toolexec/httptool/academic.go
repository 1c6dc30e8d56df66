package httptool

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// The academic API groups: arXiv, Crossref, OpenAlex and Semantic Scholar,
// with the tool ids and parameter names of the DIVE reference manifests.

const (
	arxivAPI    = "http://export.arxiv.org/api/query"
	crossrefAPI = "https://api.crossref.org"
	openalexAPI = "https://api.openalex.org"
	s2Graph     = "https://api.semanticscholar.org/graph/v1"
	s2API       = "https://api.semanticscholar.org"
)

var arxivParams = map[string]string{
	"search_query": str("arXiv query: words, or fields such as ti: (title), au: (author), abs: (abstract), cat: (category), all:, combined with AND, OR, ANDNOT; submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM] limits dates."),
	"start":        integer("Index of the first result (0-based).", 0, 0, 0),
	"max_results":  integer("Most results to return.", 1, 2000, 10),
	"sortBy":       enum("Sort field.", "relevance", "lastUpdatedDate", "submittedDate"),
	"sortOrder":    enum("Sort order.", "ascending", "descending"),
	"id_list":      str("Comma-separated arXiv ids, e.g. 1706.03762,hep-th/9901001."),
}

func arxivTools() []httpTool {
	search := []string{"search_query!", "start", "max_results", "sortBy", "sortOrder"}
	t := func(name, prefix, desc string, params ...string) httpTool {
		return httpTool{id: "academic.arxiv." + name, source: "arxiv", endpoint: arxivAPI, queryPrefix: prefix,
			description: desc + " Answers with the Atom feed read into JSON: total, and each entry's id, title, authors, abstract, dates, categories, DOI and PDF link. Needs network access.",
			params:      schema(arxivParams, params...), decode: decodeArxiv}
	}
	return []httpTool{
		t("arxiv_search_papers", "", "Search arXiv papers (the arXiv API's search_query), with paging and sorting.", search...),
		t("arxiv_get_papers_by_ids", "", "Fetch arXiv papers by id.", "id_list!"),
		t("arxiv_search_by_author", "au:", "Search arXiv papers by author; a query without a field prefix is read as au:<query>.", search...),
		t("arxiv_search_by_category", "cat:", "Search arXiv papers of a subject category (e.g. cs.CL); a query without a field prefix is read as cat:<query>.", search...),
		t("arxiv_search_by_date_range", "", "Search arXiv papers submitted in a date range: add submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM] to the query.", search...),
		t("arxiv_advanced_search", "", "Search arXiv with a boolean query over fields (ti:, au:, abs:, co:, jr:, cat:, rn:, all:) combined with AND, OR, ANDNOT and parentheses.", search...),
	}
}

// arxivFeed is the part of the arXiv API's Atom response the tools return.
type arxivFeed struct {
	Total   int `xml:"http://a9.com/-/spec/opensearch/1.1/ totalResults"`
	Start   int `xml:"http://a9.com/-/spec/opensearch/1.1/ startIndex"`
	PerPage int `xml:"http://a9.com/-/spec/opensearch/1.1/ itemsPerPage"`
	Entries []struct {
		ID        string `xml:"http://www.w3.org/2005/Atom id"`
		Title     string `xml:"http://www.w3.org/2005/Atom title"`
		Summary   string `xml:"http://www.w3.org/2005/Atom summary"`
		Published string `xml:"http://www.w3.org/2005/Atom published"`
		Updated   string `xml:"http://www.w3.org/2005/Atom updated"`
		Authors   []struct {
			Name        string `xml:"http://www.w3.org/2005/Atom name"`
			Affiliation string `xml:"http://arxiv.org/schemas/atom affiliation"`
		} `xml:"http://www.w3.org/2005/Atom author"`
		Links []struct {
			Href  string `xml:"href,attr"`
			Rel   string `xml:"rel,attr"`
			Title string `xml:"title,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Primary struct {
			Term string `xml:"term,attr"`
		} `xml:"http://arxiv.org/schemas/atom primary_category"`
		Categories []struct {
			Term string `xml:"term,attr"`
		} `xml:"http://www.w3.org/2005/Atom category"`
		Comment    string `xml:"http://arxiv.org/schemas/atom comment"`
		JournalRef string `xml:"http://arxiv.org/schemas/atom journal_ref"`
		DOI        string `xml:"http://arxiv.org/schemas/atom doi"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

var spaceRun = regexp.MustCompile(`\s+`)

func oneLine(s string) string { return strings.TrimSpace(spaceRun.ReplaceAllString(s, " ")) }

// decodeArxiv reads the Atom feed; the API reports a bad query as a single
// entry whose id is an api/errors URL.
func decodeArxiv(body []byte, _ string) (any, error) {
	var f arxivFeed
	if err := xml.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("arXiv answered with a feed that does not parse: %w", err)
	}
	entries := make([]map[string]any, 0, len(f.Entries))
	for _, e := range f.Entries {
		if strings.Contains(e.ID, "/api/errors") {
			return nil, fmt.Errorf("arXiv rejected the query: %s", oneLine(e.Summary))
		}
		var authors []map[string]string
		for _, a := range e.Authors {
			au := map[string]string{"name": oneLine(a.Name)}
			if a.Affiliation != "" {
				au["affiliation"] = oneLine(a.Affiliation)
			}
			authors = append(authors, au)
		}
		var cats []string
		for _, c := range e.Categories {
			cats = append(cats, c.Term)
		}
		entry := map[string]any{"id": strings.TrimPrefix(strings.TrimPrefix(e.ID, "http://arxiv.org/abs/"), "https://arxiv.org/abs/"),
			"url": e.ID, "title": oneLine(e.Title), "summary": oneLine(e.Summary), "authors": authors,
			"published": e.Published, "updated": e.Updated, "primary_category": e.Primary.Term, "categories": cats}
		for _, l := range e.Links {
			if l.Title == "pdf" {
				entry["pdf_url"] = l.Href
			}
		}
		for k, v := range map[string]string{"comment": e.Comment, "journal_ref": e.JournalRef, "doi": e.DOI} {
			if v != "" {
				entry[k] = oneLine(v)
			}
		}
		entries = append(entries, entry)
	}
	return map[string]any{"total_results": f.Total, "start_index": f.Start, "items_per_page": f.PerPage, "entries": entries}, nil
}

var crossrefParams = map[string]string{
	"doi":       str("The DOI, e.g. 10.1038/nature14539."),
	"mailto":    `{"type": "string", "format": "email", "description": "Contact address for Crossref's polite pool (default: $CROSSREF_MAILTO)."}`,
	"query":     str("Free-text query."),
	"filter":    str("Comma-separated filters, e.g. from-pub-date:2020-01-01,type:journal-article."),
	"rows":      integer("Results per page.", 0, 1000, 20),
	"offset":    integer("Results to skip (up to 10,000; use cursor beyond).", 0, 10000, 0),
	"cursor":    str("Deep-paging cursor: * to start, then next-cursor from the previous page."),
	"id":        str("The identifier."),
	"member_id": integer("The Crossref member id.", 1, 0, -1),
	"facet":     str("Facet counts to return, e.g. type-name:*,published:10."),
	"sort":      enum("Sort field.", "score", "relevance", "updated", "deposited", "indexed", "published", "published-print", "published-online", "issued", "is-referenced-by-count", "references-count"),
	"order":     enum("Sort order.", "asc", "desc"),
	"select":    str("Comma-separated fields to return, e.g. DOI,title,author."),
	"sample":    integer("A random sample of this many results.", 1, 100, -1),
	"issn":      str("The journal's ISSN, e.g. 0028-0836."),
	"funder_id": str("The funder's id in the Open Funder Registry, e.g. 501100000780."),
	"prefix":    str("A DOI prefix, e.g. 10.1038."),
	"type_id":   str("A work type id, e.g. journal-article."),
}

// crossrefPrepare puts the caller in Crossref's polite pool when an address is known.
func crossrefPrepare(r *Request, getenv func(string) string) {
	if r.Query.Get("mailto") == "" {
		if m := getenv("CROSSREF_MAILTO"); m != "" {
			r.Query.Set("mailto", m)
		}
	}
}

func crossrefTools() []httpTool {
	works := []string{"query", "filter", "facet", "sort", "order", "rows", "offset", "cursor", "select", "sample", "mailto"}
	list := []string{"query", "filter", "rows", "offset", "cursor", "mailto"}
	t := func(name, path, desc string, params ...string) httpTool {
		// The reference names the member and type ids "id"; the dictionary keeps their schemas apart.
		dict := map[string]string{}
		for k, v := range crossrefParams {
			dict[k] = v
		}
		if strings.Contains(path, "members/{id}") {
			dict["id"] = crossrefParams["member_id"]
		}
		if strings.Contains(path, "types/{id}") {
			dict["id"] = crossrefParams["type_id"]
		}
		if strings.Contains(path, "funders/{id}") {
			dict["id"] = crossrefParams["funder_id"]
		}
		return httpTool{id: "academic.crossref." + name, source: "crossref", endpoint: crossrefAPI + path, prepare: crossrefPrepare,
			description: desc + " Answers with Crossref's REST API JSON (status, message). Needs network access.", params: schema(dict, params...)}
	}
	return []httpTool{
		t("crossref_get_work", "/works/{doi}", "Crossref metadata of one work by DOI: title, authors, container, dates, references count, citations (is-referenced-by-count), funders, licences.", "doi!", "mailto"),
		t("crossref_members", "/members", "Search Crossref members (publishers and other DOI registrants).", list...),
		t("crossref_get_member", "/members/{id}", "One Crossref member: names, prefixes, DOI counts and metadata coverage.", "id!", "mailto"),
		t("crossref_member_works", "/members/{id}/works", "Works registered by a Crossref member, with query, filters, facets, sorting and paging.", append([]string{"id!"}, works...)...),
		t("crossref_journals", "/journals", "Search the journals Crossref knows.", "query", "rows", "offset", "cursor", "mailto"),
		t("crossref_get_journal", "/journals/{issn}", "One journal by ISSN: title, publisher, subjects, DOI counts and coverage.", "issn!", "mailto"),
		t("crossref_journal_works", "/journals/{issn}/works", "Works published in a journal, with query, filters, facets, sorting and paging.", append([]string{"issn!"}, works...)...),
		t("crossref_funders", "/funders", "Search the funders of the Open Funder Registry.", list...),
		t("crossref_get_funder", "/funders/{id}", "One funder: name, alternative names, location, parent and child funders, work counts.", "id!", "mailto"),
		t("crossref_funder_works", "/funders/{funder_id}/works", "Works acknowledging a funder, with query, filters, facets, sorting and paging.", append([]string{"funder_id!"}, works...)...),
		t("crossref_get_prefix", "/prefixes/{prefix}", "The member that owns a DOI prefix.", "prefix!", "mailto"),
		t("crossref_types", "/types", "The work types Crossref uses (journal-article, book-chapter, ...).", "rows", "offset", "mailto"),
		t("crossref_get_type", "/types/{id}", "One work type.", "id!", "mailto"),
		t("crossref_licenses", "/licenses", "Licence URLs found in Crossref metadata, with work counts.", "query", "rows", "offset", "cursor", "mailto"),
		t("crossref_work_agency", "/works/{doi}/agency", "The DOI registration agency of a DOI (Crossref, DataCite, mEDRA, ...).", "doi!", "mailto"),
	}
}

var openalexParams = map[string]string{
	"search":         str("Full-text search over the entity's names (works: titles, abstracts and full text)."),
	"filter":         str("Comma-separated attribute filters, e.g. publication_year:>2020,is_oa:true."),
	"sort":           str("Sort, e.g. cited_by_count:desc or publication_date:desc."),
	"per_page":       integer("Results per page.", 1, 200, 25),
	"page":           integer("Page number (1-based).", 1, 0, 1),
	"select":         str("Comma-separated top-level fields to return."),
	"work_id":        str("An OpenAlex work id (W2741809807), its URL, or doi:10.… / pmid:…"),
	"author_id":      str("An OpenAlex author id (A5023888391), its URL, or orcid:…"),
	"institution_id": str("An OpenAlex institution id (I27837315), its URL, or ror:…"),
	"source_id":      str("An OpenAlex source id (S137773608), its URL, or issn:…"),
	"title":          `{"type": "string", "minLength": 20, "maxLength": 2000, "description": "A title to classify (20 to 2000 characters)."}`,
	"abstract":       str("An abstract to classify with the title."),
}

// openalexPrepare adds the API key or contact address OpenAlex asks of callers.
func openalexPrepare(r *Request, getenv func(string) string) {
	if k := getenv("OPENALEX_API_KEY"); k != "" {
		r.Query.Set("api_key", k)
	}
	if m := getenv("OPENALEX_MAILTO"); m != "" {
		r.Query.Set("mailto", m)
	}
}

// openalexID accepts an entity's full URL for its id.
func openalexID(s string) string {
	return strings.TrimPrefix(strings.TrimPrefix(s, "https://openalex.org/"), "http://openalex.org/")
}

func openalexTools() []httpTool {
	list := []string{"search", "filter", "sort", "per_page", "page"}
	t := func(name, path, desc string, params ...string) httpTool {
		return httpTool{id: "academic.openalex." + name, source: "openalex", endpoint: openalexAPI + path, prepare: openalexPrepare, pathValue: openalexID,
			description: desc + " Answers with OpenAlex's JSON. Needs network access.", params: schema(openalexParams, params...)}
	}
	return []httpTool{
		t("openalex_search_works", "/works", "Search OpenAlex works (papers, books, datasets) with filters, sorting and paging; results carry meta.count.", list...),
		t("openalex_get_work", "/works/{work_id}", "One OpenAlex work: title, authorships, venue, year, citations, concepts, open-access status, referenced works.", "work_id!", "select"),
		t("openalex_search_authors", "/authors", "Search OpenAlex authors.", list...),
		t("openalex_get_author", "/authors/{author_id}", "One OpenAlex author: names, ORCID, affiliations, works and citation counts, h-index.", "author_id!", "select"),
		t("openalex_search_institutions", "/institutions", "Search OpenAlex institutions.", list...),
		t("openalex_get_institution", "/institutions/{institution_id}", "One OpenAlex institution: ROR id, country, type, works and citation counts.", "institution_id!", "select"),
		t("openalex_search_sources", "/sources", "Search OpenAlex sources (journals, repositories, conferences).", list...),
		t("openalex_get_source", "/sources/{source_id}", "One OpenAlex source: ISSNs, publisher, open-access status, works and citation counts.", "source_id!", "select"),
		t("openalex_search_publishers", "/publishers", "Search OpenAlex publishers.", list...),
		t("openalex_search_topics", "/topics", "Search OpenAlex topics (with their subfield, field and domain).", list...),
		t("openalex_search_funders", "/funders", "Search OpenAlex funders.", list...),
		t("openalex_analyze_text", "/text", "Classify a title (and abstract) into OpenAlex topics, keywords and concepts.", "title!", "abstract"),
	}
}

var s2Params = map[string]string{
	"query":                 str("Search text."),
	"fields":                str("Comma-separated fields to return, e.g. title,year,authors,citationCount,externalIds."),
	"publicationTypes":      str("Comma-separated publication types, e.g. Review,JournalArticle,Conference."),
	"openAccessPdf":         `{"type": "string", "description": "Present (any value, even empty) to keep only papers with a public PDF."}`,
	"minCitationCount":      str("Least number of citations, e.g. 200."),
	"publicationDateOrYear": str("Date range <start>:<end> in YYYY-MM-DD, YYYY-MM or YYYY; either end may be empty."),
	"year":                  str("Year or range: 2019, 2016-2020, 2010-, -2015."),
	"venue":                 str("Comma-separated venues, e.g. Nature,ACL."),
	"fieldsOfStudy":         str("Comma-separated fields of study, e.g. Computer Science,Medicine."),
	"offset":                integer("Results to skip.", 0, 9999, 0),
	"limit":                 integer("Most results to return.", 1, 1000, 100),
	"token":                 str("Continuation token of the previous page of a bulk search."),
	"sort":                  str("field:order, e.g. citationCount:desc (paperId, publicationDate or citationCount)."),
	"author_id":             str("A Semantic Scholar author id, e.g. 1741101."),
	"paper_id":              str("A paper id: Semantic Scholar sha, CorpusId:…, DOI:…, ARXIV:…, PMID:…, ACL:…, MAG:… or URL:…"),
	"ids":                   `{"type": "array", "minItems": 1, "maxItems": 500, "items": {"type": "string", "minLength": 1}, "description": "Ids to fetch (papers: any form paper_id accepts)."}`,
}

// s2Prepare adds the Semantic Scholar API key when one is configured.
func s2Prepare(r *Request, getenv func(string) string) {
	if k := getenv("SEMANTIC_SCHOLAR_API_KEY"); k != "" {
		r.Header.Set("x-api-key", k)
	}
}

func semanticScholarTools() []httpTool {
	filters := []string{"publicationTypes", "openAccessPdf", "minCitationCount", "publicationDateOrYear", "year", "venue", "fieldsOfStudy"}
	t := func(name, endpoint, method, desc string, params ...string) httpTool {
		// The reference's ids drop the name's semantic_scholar_ prefix.
		return httpTool{id: "academic.semantic_scholar." + strings.TrimPrefix(name, "semantic_scholar_"), name: name, source: "semantic_scholar", endpoint: endpoint, method: method, prepare: s2Prepare,
			description: desc + " Answers with the Semantic Scholar API's JSON. Needs network access.", params: schema(s2Params, params...)}
	}
	get := http.MethodGet
	return []httpTool{
		t("semantic_scholar_paper_search", s2Graph+"/paper/search", get, "Relevance search of papers, with filters and paging.",
			append(append([]string{"query!", "fields"}, filters...), "offset", "limit")...),
		t("semantic_scholar_paper_bulk_search", s2Graph+"/paper/search/bulk", get, "Bulk paper search (boolean query syntax, sorting, up to 1,000 a page with a continuation token).",
			append([]string{"query!", "token", "fields", "sort"}, filters...)...),
		t("semantic_scholar_author_papers", s2Graph+"/author/{author_id}/papers", get, "The papers of an author.", "author_id!", "fields", "offset", "limit"),
		t("semantic_scholar_author_search", s2Graph+"/author/search", get, "Search authors by name.", "query!", "fields", "offset", "limit"),
		t("semantic_scholar_get_author", s2Graph+"/author/{author_id}", get, "One author: name, affiliations, paper and citation counts, h-index.", "author_id!", "fields"),
		t("semantic_scholar_get_paper", s2Graph+"/paper/{paper_id}", get, "One paper: title, abstract, venue, year, authors, citation counts, external ids, open-access PDF.", "paper_id!", "fields"),
		t("semantic_scholar_paper_authors", s2Graph+"/paper/{paper_id}/authors", get, "The authors of a paper.", "paper_id!", "fields", "offset", "limit"),
		t("semantic_scholar_paper_citations", s2Graph+"/paper/{paper_id}/citations", get, "Papers citing a paper, with citation contexts and intents.", "paper_id!", "fields", "offset", "limit"),
		t("semantic_scholar_paper_references", s2Graph+"/paper/{paper_id}/references", get, "Papers a paper cites.", "paper_id!", "fields", "offset", "limit"),
		t("semantic_scholar_paper_autocomplete", s2Graph+"/paper/autocomplete", get, "Title completions for a partial query.", "query!"),
		t("semantic_scholar_paper_title_search", s2Graph+"/paper/search/match", get, "The paper whose title best matches a query, with a match score.", "query!", "fields"),
		t("semantic_scholar_snippet_search", s2Graph+"/snippet/search", get, "Text snippets of papers that match a query.", "query!", "limit"),
		t("semantic_scholar_author_batch", s2Graph+"/author/batch", http.MethodPost, "Several authors at once.", "ids!", "fields"),
		t("semantic_scholar_paper_batch", s2Graph+"/paper/batch", http.MethodPost, "Several papers at once.", "ids!", "fields"),
		t("semantic_scholar_paper_recommendations", s2API+"/recommendations/v1/papers/forpaper/{paper_id}", get, "Papers recommended for one paper.", "paper_id!", "limit"),
		t("semantic_scholar_recommend_papers", s2API+"/recommendations/v1/papers/forpaper/{paper_id}", get, "Papers recommended for one paper (the reference's second name for the same endpoint).", "paper_id!", "limit"),
		t("semantic_scholar_release_list", s2API+"/datasets/v1/release", get, "The dates of the Semantic Scholar dataset releases."),
	}
}
