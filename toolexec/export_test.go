package toolexec

import (
	"bytes"
	"encoding/json"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// QuickCheck reports whether t's schema has a quick check, and whether the
// check accepts args.
func QuickCheck(t *Tool, args []byte) (covered, accepted bool) {
	if t.quick == nil {
		return false, false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return true, false
	}
	return true, t.quick.accepts(inst)
}

// FullValidate validates args with the JSON Schema validator alone.
func FullValidate(t *Tool, args []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return err
	}
	return t.schema.Validate(inst)
}

// SchemaDoc decodes t's parameter schema.
func SchemaDoc(t *Tool) map[string]any {
	var doc map[string]any
	_ = json.Unmarshal(t.Manifest.Parameters, &doc)
	return doc
}
