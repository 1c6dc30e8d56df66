package builtin

import (
	"errors"
	"fmt"
)

// validation wraps an identifier validator as a tool: a well-formed,
// correctly checked identifier gives its fields and valid: true; anything
// else gives valid: false and the reason (with the expected check digit
// where only that is wrong), so a model can tell a bad identifier from a
// failed call.
func validation(field string, validate func(string) (map[string]any, error)) func(a map[string]string) (any, error) {
	return func(a map[string]string) (any, error) {
		in := a[field]
		out, err := validate(in)
		if err != nil {
			res := map[string]any{"input": in, "valid": false, "reason": err.Error()}
			var ce checkError
			if errors.As(err, &ce) {
				res["expected_check_digit"] = ce.want
			}
			return res, nil
		}
		out["input"], out["valid"] = in, true
		return out, nil
	}
}

func oneString(name, desc string, maxLen int) string {
	return fmt.Sprintf(`{"type": "object", "required": [%q], "additionalProperties": false, "properties": {%q: {"type": "string", "minLength": 1, "maxLength": %d, "description": %q}}}`,
		name, name, maxLen, desc)
}

// identifierDefinitions are check-digit validators and parsers of standard identifiers.
func identifierDefinitions() []definition {
	def := func(id, desc, field, fieldDesc string, maxLen int, validate func(string) (map[string]any, error)) definition {
		return definition{id: id, description: desc, params: oneString(field, fieldDesc, maxLen), run: typed(validation(field, validate))}
	}
	return []definition{
		def("academic.identifiers.issn_validate", "Validate an ISSN (ISO 3297: seven digits and a mod-11 check digit or X) and give its hyphenated form and the EAN-13 barcode number (977 prefix) of the serial.",
			"issn", "The ISSN, e.g. 0028-0836.", 20, issnValidate),
		def("academic.identifiers.orcid_validate", "Validate an ORCID iD (16 characters with an ISO 7064 MOD 11-2 check character) given bare or as an orcid.org URI, and give its canonical form and URI.",
			"orcid", "The ORCID iD, e.g. 0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097.", 60, orcidValidate),
		def("academic.identifiers.doi_parse", "Parse a DOI given bare, as doi:… or as a doi.org URL (percent-encoding undone): prefix, registrant code, suffix, the case-normalized form (DOI names are case-insensitive) and the resolver URL. Checks the syntax only; it does not look the DOI up.",
			"doi", "The DOI, e.g. 10.1038/nature14539 or https://doi.org/10.1038/nature14539.", 500, doiParse),
		def("academic.identifiers.arxiv_id_parse", "Parse an arXiv identifier, new style (YYMM.NNNN from April 2007, YYMM.NNNNN from 2015, optional version) or old style (archive[.subject-class]/YYMMNNN, 1991-2007), given bare, with an arXiv: prefix or as an arxiv.org URL: year, month, sequence number, archive, version and the abstract and PDF URLs.",
			"arxiv_id", "The identifier, e.g. 1706.03762v5, arXiv:2101.00001 or hep-th/9901001.", 200, arxivParse),
		def("financial.identifiers.isin_validate", "Validate an ISIN (ISO 6166: country code, nine-character national number, Luhn check digit over the letters-as-numbers form); for US and Canadian ISINs also gives the embedded CUSIP.",
			"isin", "The ISIN, e.g. US0378331005.", 20, isinValidate),
		def("financial.identifiers.cusip_validate", "Validate a CUSIP (nine characters: six-character issuer, two-character issue, check digit by the CUSIP modulus-10 double-add-double scheme).",
			"cusip", "The CUSIP, e.g. 037833100.", 20, cusipValidate),
		{
			id:          "financial.identifiers.luhn_check",
			description: "The Luhn (mod 10) check used by payment card numbers, IMEIs and many other identifiers: whether a number passes, and the check digit its other digits call for.",
			params:      oneString("number", "The digits, spaces or hyphens allowed, e.g. 4539 1488 0343 6467.", 100),
			run: typed(func(a map[string]string) (any, error) {
				return luhnValidate(a["number"])
			}),
		},
		def("medical.identifiers.npi_validate", "Validate a US National Provider Identifier (CMS: 10 digits starting with 1 or 2; the check digit is the Luhn digit of the number prefixed by 80840).",
			"npi", "The NPI, e.g. 1234567893.", 20, npiValidate),
		def("medical.identifiers.cas_number_validate", "Validate a CAS Registry Number (2-7 digits, 2 digits and a check digit: the sum of the other digits weighted 1, 2, 3, … from the right, mod 10), as used for drugs and chemicals.",
			"cas_rn", "The CAS RN, e.g. 50-78-2 (aspirin).", 20, casValidate),
	}
}
