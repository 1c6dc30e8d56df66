package builtin

// clusterDefinitions are the Bio.Cluster tools.
func clusterDefinitions() []definition {
	const matrix = `"data": {"type": "array", "minItems": 1, "maxItems": 2000, "description": "Data matrix: one row per item, one column per feature, e.g. [[1, 2], [1, 4], [4, 2], [4, 4]].",
		"items": {"type": "array", "minItems": 1, "maxItems": 2000, "items": {"type": "number"}}}`
	const dist = `"dist": {"type": "string", "enum": ["e", "b", "c", "a", "u", "x", "s", "k"], "default": "e",
		"description": "Distance: e mean squared difference (the C Clustering Library's Euclidean), b mean absolute difference (city-block), c 1 - Pearson correlation, a 1 - |Pearson|, u 1 - uncentered correlation, x 1 - |uncentered|, s 1 - Spearman rank correlation, k 1 - Kendall's tau."}`
	const transpose = `"transpose": {"type": "boolean", "default": false, "description": "Compare columns instead of rows."}`
	type args struct {
		Data      [][]float64 `json:"data"`
		Dist      string      `json:"dist"`
		Method    string      `json:"method"`
		Transpose bool        `json:"transpose"`
	}
	prepare := func(a args) ([][]float64, distanceFunc, error) {
		elems, err := clusterElements(a.Data, a.Transpose)
		if err != nil {
			return nil, nil, err
		}
		if err := clusterCost(len(elems), len(elems[0]), a.Dist, a.Method); err != nil {
			return nil, nil, err
		}
		metric, err := metricFor(a.Dist)
		return elems, metric, err
	}
	return []definition{
		{
			id:          "biological.cluster.cluster_distancematrix",
			heavy:       true,
			description: "Pairwise distances between the rows (or columns) of a data matrix, as Bio.Cluster.distancematrix: the lower triangle, row i holding the distances to items 0..i-1.",
			params:      `{"type": "object", "required": ["data"], "additionalProperties": false, "properties": {` + matrix + `, ` + dist + `, ` + transpose + `}}`,
			run: typed(func(a args) (any, error) {
				elems, metric, err := prepare(a)
				if err != nil {
					return nil, err
				}
				return map[string]any{"distance_matrix": distanceMatrix(elems, metric), "items": len(elems)}, nil
			}),
		},
		{
			id:    "biological.cluster.cluster_treecluster",
			heavy: true,
			description: "Hierarchical clustering of the rows (or columns) of a data matrix, as Bio.Cluster.treecluster: one node per merge, joining items (≥ 0) or earlier nodes (-1 is the first node), " +
				"with the linkage distance.",
			params: `{"type": "object", "required": ["data"], "additionalProperties": false, "properties": {` + matrix + `,
				"method": {"type": "string", "enum": ["m", "s", "c", "a"], "default": "m", "description": "Linkage: m complete (maximum), s single (minimum), c centroid, a average."}, ` + dist + `, ` + transpose + `}}`,
			run: typed(func(a args) (any, error) {
				if a.Method == "" {
					a.Method = "m"
				}
				elems, metric, err := prepare(a)
				if err != nil {
					return nil, err
				}
				nodes, err := treeCluster(elems, a.Method, metric)
				if err != nil {
					return nil, err
				}
				return map[string]any{"nodes": nodes, "items": len(elems), "method": a.Method}, nil
			}),
		},
		{
			id: "biological.cluster.cluster_pca",
			description: "Principal component analysis of a data matrix (as Bio.Cluster.pca): column means, each row's coordinates on the components, the unit components " +
				"(sign chosen so the largest entry is positive) and their eigenvalues (singular values of the centered data).",
			params: `{"type": "object", "required": ["data"], "additionalProperties": false, "properties": {` + matrix + `}}`,
			run: typed(func(a args) (any, error) {
				if len(a.Data) > 0 && len(a.Data[0]) > 200 {
					return nil, errTooManyColumns
				}
				return pca(a.Data)
			}),
		},
	}
}
