package httptool

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The medical API groups: NLM's RxNav (RxNorm, Prescribable RxNorm, RxTerms,
// RxClass) and Clinical Table Search Service, with the tool ids and
// parameter names of the DIVE reference manifests.

const (
	rxnavAPI          = "https://rxnav.nlm.nih.gov/REST"
	clinicalTablesAPI = "https://clinicaltables.nlm.nih.gov/api"
)

var rxnavParams = map[string]string{
	"name":                 str("A drug or concept name, e.g. lipitor."),
	"allsrc":               enum("0: active concepts only; 1: current concepts (and atoms of all sources).", "0", "1"),
	"srclist":              str("Space-separated sources whose atoms a concept must have (with allsrc=1), e.g. GS MMSL."),
	"search":               enum("Match: 0 exact, 1 normalized, 2 exact or normalized, 9 approximate.", "0", "1", "2", "9"),
	"expand":               enum("Extra fields: psn (prescribable name).", "psn"),
	"rxcui":                str("An RxNorm concept id (RXCUI), e.g. 153165."),
	"tty":                  str("Space-separated term types, e.g. SCD SBD (see rxnorm_get_term_types)."),
	"idtype":               str("Identifier type, e.g. NDC, ATC, UNII_CODE, DRUGBANK, MESH (see rxnorm_get_id_types)."),
	"id":                   str("The identifier."),
	"term":                 str("Text to match approximately."),
	"maxEntries":           integer("Most candidates.", 1, 100, 20),
	"option":               enum("0: current concepts; 1: active concepts.", "0", "1"),
	"classTypes":           str("Space-separated class types, e.g. ATC1-4 EPC MOA (see rxclass_get_class_types)."),
	"propName":             str("A property name (see rxnorm_get_prop_names), e.g. RxNorm Name or ATC."),
	"propValue":            str("The value the property must have."),
	"propValues":           str("Space-separated values the property may have."),
	"prop":                 str("Space-separated property categories, or ALL (see rxnorm_get_prop_categories)."),
	"ingredientids":        str("Space-separated ingredient RXCUIs."),
	"rela":                 str("Space-separated relationships (see rxnorm_get_rela_types), e.g. has_ingredient."),
	"start":                str("Starting term type or date (YYYYMM), as the tool says."),
	"finish":               str("Ending term type."),
	"ndcstatus":            str("Space-separated NDC statuses: active, obsolete, alien, ALL."),
	"ndc":                  str("A National Drug Code: 11 digits, or 5-3-2, 5-4-1 or 4-4-2 with hyphens."),
	"end":                  str("End of the date interval, YYYYMM."),
	"history":              enum("0: all history; 1: latest only.", "0", "1"),
	"altpkg":               enum("1: answer for an alternative package when the NDC is not found.", "0", "1"),
	"relation":             enum("Which related NDCs: same concept, same product or same drug.", "concept", "product", "drug"),
	"status":               str("Space-separated statuses: Active, Obsolete, Quantified, Remapped, NotCurrent, ALL."),
	"rxaui":                str("An RxNorm atom id (RXAUI)."),
	"className":            str("A class name, e.g. Beta-Adrenergic Blockers."),
	"classType":            str("A class type, e.g. ATC1-4, CHEM, EPC, MOA, DISEASE."),
	"relaSource":           str("A source of drug-class relations, e.g. ATC, MEDRT, DAILYMED, FDASPL, VA."),
	"relas":                str("Space-separated drug-class relationships, e.g. may_treat has_epc."),
	"drugName":             str("A generic or brand drug name, e.g. morphine."),
	"type":                 enum("Spell-check drug names or class names.", "DRUG", "CLASS"),
	"classId":              str("A class id, e.g. D000997 or N02AA."),
	"trans":                enum("0: direct and indirect members; 1: direct members only.", "0", "1"),
	"ttys":                 str("Space-separated term types of the members, e.g. IN PIN."),
	"classId1":             str("First class id."),
	"relaSource1":          str("First class's relation source."),
	"rela1":                str("First class's relationship to its members."),
	"classId2":             str("Second class id."),
	"relaSource2":          str("Second class's relation source."),
	"rela2":                str("Second class's relationship to its members."),
	"source":               str("A class type or source restricting the graph, e.g. disease or chem."),
	"scoreType":            enum("Ranking: 0 equivalence, 1 includes, 2 included in.", "0", "1", "2"),
	"top":                  str("Number of classes to return (1-100, default 10)."),
	"equivalenceThreshold": str("Least equivalence score, 0.0-1.0."),
	"inclusionThreshold":   str("Least inclusion score, 0.0-1.0."),
	"rxcuis":               str("Space-separated RXCUIs of the drugs."),
}

// rxnavEndpoint names a path of the RxNav REST API; the tools ask for JSON
// by the path's .json suffix, as the API documents.
func rxnavEndpoint(path string) string { return rxnavAPI + path + ".json" }

type rxnavSpec struct {
	name, path, desc string
	params           []string
}

// rxnormSpecs are the RxNorm functions; prescribable (the Prescribable
// RxNorm subset, under /Prescribe) repeats those marked in prescribableNames.
var rxnormSpecs = []rxnavSpec{
	{"rxnorm_find_rxcui_by_string", "/rxcui", "RxNorm concepts (RXCUIs) whose names match a string.", []string{"name!", "allsrc", "srclist", "search"}},
	{"rxnorm_get_drugs", "/drugs", "The drug products (SCD, SBD, GPCK, BPCK) of an ingredient, brand or clinical dose form name, grouped by term type.", []string{"name!", "expand"}},
	{"rxnorm_get_related_by_type", "/rxcui/{rxcui}/related", "Concepts related to a concept, of given term types.", []string{"rxcui!", "tty!", "expand"}},
	{"rxnorm_find_rxcui_by_id", "/rxcui", "RxNorm concepts for an identifier of another vocabulary (NDC, ATC, UNII, DrugBank, MeSH, ...).", []string{"idtype!", "id!", "allsrc"}},
	{"rxnorm_get_approximate_match", "/approximateTerm", "Concepts and atoms approximately matching a string, ranked by score.", []string{"term!", "maxEntries", "option"}},
	{"rxnorm_get_all_concepts_by_tty", "/allconcepts", "All concepts of given term types.", []string{"tty!"}},
	{"rxnorm_get_rxnorm_version", "/version", "The RxNorm release the API serves.", nil},
	{"rxnorm_get_term_types", "/termtypes", "The RxNorm term types (IN, SCD, SBD, ...).", nil},
	{"rxnorm_get_id_types", "/idtypes", "The identifier types rxnorm_find_rxcui_by_id accepts.", nil},
	{"rxnorm_get_source_types", "/sourcetypes", "The source vocabularies of RxNorm.", nil},
	{"rxnorm_get_rxnorm_name", "/rxcui/{rxcui}", "The RxNorm name of a concept.", []string{"rxcui!"}},
	{"rxnorm_get_spelling_suggestions", "/spellingsuggestions", "Spelling suggestions for a drug name.", []string{"name!"}},
	{"rxnorm_filter_by_property", "/rxcui/{rxcui}/filter", "The concept if it has a property (with a value); empty otherwise.", []string{"rxcui!", "propName!", "propValue"}},
	{"rxnorm_get_display_terms", "/displaynames", "The names RxNav offers for auto-completion (ingredients, brands, packs).", nil},
	{"rxnorm_get_all_properties", "/rxcui/{rxcui}/allProperties", "The properties of a concept in the given categories (names, codes, attributes, sources).", []string{"rxcui!", "prop!"}},
	{"rxnorm_get_rx_concept_properties", "/rxcui/{rxcui}/properties", "The RxNorm name, synonym, term type, language and suppress flag of a concept.", []string{"rxcui!"}},
	{"rxnorm_get_rx_property", "/rxcui/{rxcui}/property", "One property of a concept, e.g. ATC or RxNorm Name.", []string{"rxcui!", "propName!"}},
	{"rxnorm_get_multi_ingred_brand", "/brands", "Brands that contain all the given ingredients.", []string{"ingredientids!"}},
	{"rxnorm_get_prop_categories", "/propCategories", "The property categories (ATTRIBUTES, CODES, NAMES, SOURCES).", nil},
	{"rxnorm_get_prop_names", "/propnames", "The property names.", nil},
	{"rxnorm_get_ndcs", "/rxcui/{rxcui}/ndcs", "The active NDCs of a concept.", []string{"rxcui!"}},
	{"rxnorm_get_all_related_info", "/rxcui/{rxcui}/allrelated", "Every concept related to a concept, grouped by term type.", []string{"rxcui!", "expand"}},
	{"rxnorm_get_related_by_relationship", "/rxcui/{rxcui}/related", "Concepts related to a concept by given relationships.", []string{"rxcui!", "rela!", "expand"}},
	{"rxnorm_get_rela_types", "/relatypes", "The relationship types of RxNorm.", nil},
	{"rxnorm_get_rela_paths", "/relapaths", "The relationship paths between two term types.", []string{"start", "finish"}},
	{"rxnorm_get_ndc_properties", "/ndcproperties", "Properties of an NDC, a product or a concept's NDCs: packaging, labeler, marketing status.", []string{"id!", "ndcstatus"}},
	{"rxnorm_get_ndc_status", "/ndcstatus", "The status and concept history of an NDC.", []string{"ndc!", "start", "end", "history", "altpkg"}},
	{"rxnorm_get_rxcui_history_status", "/rxcui/{rxcui}/historystatus", "The status and history of a concept: remappings, quantities, ingredients, NDCs.", []string{"rxcui!"}},
	{"rxnorm_find_related_ndcs", "/relatedndc", "NDCs related to an NDC by concept, product or drug.", []string{"ndc!", "relation!", "ndcstatus"}},
	{"rxnorm_get_all_concepts_by_status", "/allstatus", "All concepts with given statuses.", []string{"status"}},
	{"rxnorm_get_all_historical_ndcs", "/rxcui/{rxcui}/allhistoricalndcs", "Every NDC a concept has had, with dates.", []string{"rxcui!", "history"}},
	{"rxnorm_get_all_ndcs_by_status", "/allNDCstatus", "All NDCs with given statuses.", []string{"status"}},
	{"rxnorm_get_proprietary_information", "/rxcui/{rxcui}/proprietary", "Proprietary-source strings of a concept (needs a UMLS licence key upstream).", []string{"rxcui!", "srclist", "rxaui"}},
	{"rxnorm_get_reformulation_concepts", "/reformulationConcepts", "Concepts that were reformulated, with their replacements.", nil},
}

// prescribableNames maps an RxNorm function to its Prescribable RxNorm tool.
var prescribableNames = map[string]string{
	"rxnorm_get_term_types": "prescribable_get_term_types", "rxnorm_get_source_types": "prescribable_get_source_types",
	"rxnorm_get_id_types": "prescribable_get_id_types", "rxnorm_get_rxnorm_name": "prescribable_get_rxnorm_name",
	"rxnorm_get_prop_categories": "prescribable_get_prop_categories", "rxnorm_get_prop_names": "prescribable_get_prop_names",
	"rxnorm_get_rela_types": "prescribable_get_rela_types", "rxnorm_get_spelling_suggestions": "prescribable_get_spelling_suggestions",
	"rxnorm_get_display_terms": "prescribable_get_display_terms", "rxnorm_get_ndcs": "prescribable_get_ndcs",
	"rxnorm_get_drugs": "prescribable_get_drugs", "rxnorm_get_approximate_match": "prescribable_get_approximate_match",
	"rxnorm_find_rxcui_by_string": "prescribable_find_rxcui_by_string", "rxnorm_get_rx_property": "prescribable_get_rx_property",
	"rxnorm_get_rx_concept_properties": "prescribable_get_rx_concept_properties", "rxnorm_find_rxcui_by_id": "prescribable_find_rxcui_by_id",
	"rxnorm_get_multi_ingred_brand": "prescribable_get_multi_ingred_brand", "rxnorm_get_all_properties": "prescribable_get_all_properties",
	"rxnorm_get_related_by_type": "prescribable_get_related_by_type", "rxnorm_get_rela_paths": "prescribable_get_rela_paths",
	"rxnorm_get_related_by_relationship": "prescribable_get_related_by_relationship", "rxnorm_get_all_related_info": "prescribable_get_all_related_info",
	"rxnorm_filter_by_property":      "prescribable_filter_by_property",
	"rxnorm_get_all_concepts_by_tty": "prescribable_get_all_concepts_by_tty",
}

var otherRxnavSpecs = []rxnavSpec{
	{"rxterms_get_rxterms_version", "/RxTerms/version", "The RxTerms release the API serves.", nil},
	{"rxterms_get_rxterm_display_name", "/RxTerms/rxcui/{rxcui}/name", "The RxTerms display name (drug and route) of a concept.", []string{"rxcui!"}},
	{"rxterms_get_all_rxterm_info", "/RxTerms/rxcui/{rxcui}/allinfo", "The RxTerms record of a concept: display name, strength, form, route, brand/generic, suppress flags.", []string{"rxcui!"}},
	{"rxterms_get_all_concepts", "/RxTerms/allconcepts", "Every concept in RxTerms.", nil},
	{"rxclass_get_class_types", "/rxclass/classTypes", "The RxClass class types (ATC1-4, EPC, MOA, PE, DISEASE, ...).", nil},
	{"rxclass_get_all_classes", "/rxclass/allClasses", "All classes, optionally of given types.", []string{"classTypes"}},
	{"rxclass_find_class_by_name", "/rxclass/class/byName", "Classes with a name.", []string{"className!", "classType"}},
	{"rxclass_get_class_by_rxnorm_drug_id", "/rxclass/class/byRxcui", "The classes of a drug given by RXCUI.", []string{"rxcui!", "relaSource", "relas"}},
	{"rxclass_get_relas", "/rxclass/relas", "The drug-class relationships of a source.", []string{"relaSource"}},
	{"rxclass_get_sources_of_drug_class_relations", "/rxclass/relaSources", "The sources of drug-class relations.", nil},
	{"rxclass_get_rela_source_version", "/rxclass/version/{relaSource}", "The version of a drug-class relation source.", []string{"relaSource!"}},
	{"rxclass_get_class_by_rxnorm_drug_name", "/rxclass/class/byDrugName", "The classes of a drug given by name.", []string{"drugName!", "relaSource", "relas"}},
	{"rxclass_get_spelling_suggestions", "/rxclass/spellingsuggestions", "Spelling suggestions for a drug or class name.", []string{"term!", "type"}},
	{"rxclass_get_class_contexts", "/rxclass/classContext", "The class hierarchy paths that lead to a class.", []string{"classId!"}},
	{"rxclass_find_classes_by_id", "/rxclass/class/byId", "A class by id.", []string{"classId!"}},
	{"rxclass_get_class_members", "/rxclass/classMembers", "The drugs of a class.", []string{"classId!", "relaSource!", "rela", "trans", "ttys"}},
	{"rxclass_get_similarity_information", "/rxclass/class/similarInfo", "How similar two classes are by their members: equivalence and inclusion scores and the shared drugs.",
		[]string{"classId1!", "relaSource1!", "rela1", "classId2!", "relaSource2!", "rela2"}},
	{"rxclass_get_class_tree", "/rxclass/classTree", "The subtree of classes below a class.", []string{"classId!", "classType"}},
	{"rxclass_get_class_graph_by_source", "/rxclass/classGraph", "The ancestors of a class as a graph.", []string{"classId!", "source"}},
	{"rxclass_find_similar_classes_by_class", "/rxclass/class/similar", "Classes whose members resemble a class's.",
		[]string{"classId!", "relaSource!", "rela!", "scoreType", "top", "equivalenceThreshold", "inclusionThreshold"}},
	{"rxclass_find_similar_classes_by_drug_list", "/rxclass/class/similarByRxcuis", "Classes whose members resemble a list of drugs.",
		[]string{"rxcuis!", "relaSource", "rela", "scoreType", "top", "equivalenceThreshold", "inclusionThreshold"}},
}

func rxnavTools() []httpTool {
	t := func(name, path, desc string, params []string) httpTool {
		return httpTool{id: "medical.rxnav." + name, source: "rxnav", endpoint: rxnavEndpoint(path),
			description: desc + " Answers with RxNav's JSON. Needs network access.", params: schema(rxnavParams, params...)}
	}
	var out []httpTool
	for _, s := range rxnormSpecs {
		out = append(out, t(s.name, s.path, s.desc, s.params))
		if p, ok := prescribableNames[s.name]; ok {
			params := s.params
			switch s.name {
			case "rxnorm_filter_by_property":
				params = []string{"rxcui!", "propName!", "propValues"}
			case "rxnorm_get_all_related_info":
				params = []string{"rxcui!"}
			}
			out = append(out, t(p, "/Prescribe"+s.path, "Prescribable RxNorm: "+strings.ToLower(s.desc[:1])+s.desc[1:], params))
		}
	}
	for _, s := range otherRxnavSpecs {
		out = append(out, t(s.name, s.path, s.desc, s.params))
	}
	return out
}

var clinicalTablesParams = map[string]string{
	"terms":   str("Words or word beginnings to find (implicitly ANDed and wildcarded)."),
	"maxList": integer("Most results (no paging; see count and offset).", 1, 500, 7),
	"count":   integer("Page size.", 1, 500, 7),
	"offset":  integer("Index of the first result (offset + count ≤ 7,500).", 0, 7499, 0),
	"q":       str("An extra query constraining the results, with field names and wildcards, e.g. code:E11*."),
	"df":      str("Comma-separated display fields."),
	"sf":      str("Comma-separated fields searched."),
	"cf":      str("The field used as the code."),
	"ef":      str("Comma-separated extra fields to return, each optionally field:alias."),
}

// decodeClinicalTables turns the service's positional answer [total, codes,
// extra fields, display strings, code systems] into named fields.
func decodeClinicalTables(body []byte, _ string) (any, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) < 4 {
		return nil, fmt.Errorf("the Clinical Table Search Service answered in an unexpected form: %.200s", body)
	}
	var total int
	var codes []string
	var extra map[string][]any
	var display [][]string
	var systems []string
	if err := json.Unmarshal(raw[0], &total); err != nil {
		return nil, fmt.Errorf("clinical tables total: %w", err)
	}
	if err := json.Unmarshal(raw[1], &codes); err != nil {
		return nil, fmt.Errorf("clinical tables codes: %w", err)
	}
	if err := json.Unmarshal(raw[2], &extra); err != nil {
		return nil, fmt.Errorf("clinical tables extra fields: %w", err)
	}
	if err := json.Unmarshal(raw[3], &display); err != nil {
		return nil, fmt.Errorf("clinical tables display strings: %w", err)
	}
	if len(raw) > 4 {
		_ = json.Unmarshal(raw[4], &systems) // present when the table has several code systems
	}
	results := make([]map[string]any, 0, len(codes))
	for i, c := range codes {
		r := map[string]any{"code": c}
		if i < len(display) {
			r["display"] = display[i]
		}
		if len(extra) > 0 {
			ex := map[string]any{}
			for field, values := range extra {
				if i < len(values) {
					ex[field] = values[i]
				}
			}
			r["extra"] = ex
		}
		if i < len(systems) {
			r["code_system"] = systems[i]
		}
		results = append(results, r)
	}
	return map[string]any{"total": total, "returned": len(results), "results": results}, nil
}

func clinicalTablesTools() []httpTool {
	t := func(name, table, desc string) httpTool {
		return httpTool{id: "medical.clinical_tables." + name, source: "clinical_tables", endpoint: clinicalTablesAPI + "/" + table + "/search",
			description: desc + " (NLM Clinical Table Search Service.) Answers with the total and each match's code, display fields and requested extra fields. Needs network access.",
			params:      schema(clinicalTablesParams, "terms!", "maxList", "count", "offset", "q", "df", "sf", "cf", "ef"), decode: decodeClinicalTables}
	}
	return []httpTool{
		t("cytogenetic_chromosome_locations", "cytogenetic_locs/v3", "Search cytogenetic chromosome locations (bands such as 17q21.31)"),
		t("icd10cm_diagnosis_codes", "icd10cm/v3", "Search ICD-10-CM diagnosis codes by code or name"),
		t("rxterms_prescription_drugs", "rxterms/v3", "Search RxTerms drug name/route pairs, with their strengths and forms"),
		t("icd9cm_diagnosis_codes", "icd9cm_dx/v3", "Search ICD-9-CM diagnosis codes"),
		t("genetic_diseases", "disease_names/v3", "Search genetic disease names (from NCBI's MedGen/GTR)"),
		t("hcpcs_procedure_codes", "hcpcs/v3", "Search HCPCS Level II procedure and supply codes"),
		t("hugo_genes", "genes/v4", "Search human genes (HGNC symbols, names, aliases, locations)"),
		t("pharmvar_star_alleles", "star_alleles/v3", "Search PharmVar pharmacogene star alleles"),
		t("reference_sequences", "refseqs/v3", "Search NCBI RefSeq reference sequences of genes"),
		t("dbvar_germline_data", "dbvar/v3", "Search dbVar germline structural variants"),
	}
}
