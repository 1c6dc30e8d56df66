package builtin

// structureDefinitions are the 3D structure tools beyond pdb geometry.
func structureDefinitions() []definition {
	points := func(desc string) string {
		return `{"type": "array", "minItems": 3, "maxItems": 100000, "description": "` + desc + `",
			"items": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}}`
	}
	return []definition{
		{
			id: "biological.svdsuperimposer.svd_superimpose",
			description: "Superimpose two sets of 3D points by least squares (Bio.SVDSuperimposer, Kabsch/SVD): the rotation and translation that map coordinates2 onto coordinates1 " +
				"(x·R + t, row vectors), the RMSD before and after, and optionally the transformed points.",
			params: `{"type": "object", "required": ["coordinates1", "coordinates2"], "additionalProperties": false, "properties": {
				"coordinates1": ` + points("Reference points [[x, y, z], ...].") + `,
				"coordinates2": ` + points("Points to move onto the reference, as many as coordinates1.") + `,
				"include_transformed": {"type": "boolean", "default": false, "description": "Also return coordinates2 after the transformation."}}}`,
			run: typed(func(a struct {
				Coordinates1       [][3]float64 `json:"coordinates1"`
				Coordinates2       [][3]float64 `json:"coordinates2"`
				IncludeTransformed bool         `json:"include_transformed"`
			}) (any, error) {
				s, err := superimpose(a.Coordinates1, a.Coordinates2)
				if err != nil {
					return nil, err
				}
				out := map[string]any{"rms": s.RMS, "initial_rms": s.InitialRMS, "rotation": s.Rotation, "translation": s.Translation, "num_points": len(a.Coordinates1)}
				if a.IncludeTransformed {
					out["transformed"] = s.Transformed
				}
				return out, nil
			}),
		},
	}
}
