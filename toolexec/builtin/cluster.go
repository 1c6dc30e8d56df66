package builtin

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

var errTooManyColumns = errors.New("pca supports at most 200 columns")

// This file follows the C Clustering Library that Bio.Cluster wraps
// (cluster.c of Biopython 1.80), without masks or weights: the same
// distances, and the same pairwise single, maximum, average and centroid
// linkage, ties included.

// distanceFunc is the distance between rows i and j of data.
type distanceFunc func(data [][]float64, i, j int) float64

var clusterDistances = map[string]distanceFunc{
	"e": func(d [][]float64, i, j int) float64 { // mean squared difference
		s := 0.0
		for k := range d[i] {
			t := d[i][k] - d[j][k]
			s += t * t
		}
		return s / float64(len(d[i]))
	},
	"b": func(d [][]float64, i, j int) float64 { // mean absolute difference
		s := 0.0
		for k := range d[i] {
			s += math.Abs(d[i][k] - d[j][k])
		}
		return s / float64(len(d[i]))
	},
	"c": func(d [][]float64, i, j int) float64 { return pearson(d[i], d[j], false) },
	"a": func(d [][]float64, i, j int) float64 { return pearson(d[i], d[j], true) },
	"u": func(d [][]float64, i, j int) float64 { return uncentered(d[i], d[j], false) },
	"x": func(d [][]float64, i, j int) float64 { return uncentered(d[i], d[j], true) },
	"s": func(d [][]float64, i, j int) float64 { return pearson(ranks(d[i]), ranks(d[j]), false) },
	"k": func(d [][]float64, i, j int) float64 { return kendall(d[i], d[j]) },
}

func pearson(x, y []float64, absolute bool) float64 {
	var sum1, sum2, result, denom1, denom2 float64
	n := float64(len(x))
	if n == 0 {
		return 0
	}
	for k := range x {
		sum1 += x[k]
		sum2 += y[k]
		result += x[k] * y[k]
		denom1 += x[k] * x[k]
		denom2 += y[k] * y[k]
	}
	result -= sum1 * sum2 / n
	denom1 -= sum1 * sum1 / n
	denom2 -= sum2 * sum2 / n
	if denom1 <= 0 || denom2 <= 0 {
		return 1
	}
	if absolute {
		result = math.Abs(result)
	}
	return 1 - result/math.Sqrt(denom1*denom2)
}

func uncentered(x, y []float64, absolute bool) float64 {
	if len(x) == 0 {
		return 0
	}
	var result, denom1, denom2 float64
	for k := range x {
		result += x[k] * y[k]
		denom1 += x[k] * x[k]
		denom2 += y[k] * y[k]
	}
	if denom1 == 0 || denom2 == 0 {
		return 1
	}
	if absolute {
		result = math.Abs(result)
	}
	return 1 - result/math.Sqrt(denom1*denom2)
}

// ranks are 1-based ranks, ties sharing their average rank.
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	out := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		r := float64(i) + (float64(j-i)+1)/2
		for k := i; k < j; k++ {
			out[idx[k]] = r
		}
		i = j
	}
	return out
}

func kendall(x, y []float64) float64 {
	var con, dis, exx, exy float64
	if len(x) == 0 {
		return 0
	}
	for i := range x {
		for j := 0; j < i; j++ {
			switch {
			case x[i] < x[j] && y[i] < y[j], x[i] > x[j] && y[i] > y[j]:
				con++
			case x[i] < x[j] && y[i] > y[j], x[i] > x[j] && y[i] < y[j]:
				dis++
			case x[i] == x[j] && y[i] != y[j]:
				exx++
			case x[i] != x[j] && y[i] == y[j]:
				exy++
			}
		}
	}
	denx, deny := con+dis+exx, con+dis+exy
	if denx == 0 || deny == 0 {
		return 1
	}
	return 1 - (con-dis)/math.Sqrt(denx*deny)
}

// clusterElements checks a data matrix and returns the elements to cluster:
// its rows, or with transpose its columns.
// clusterWork bounds the work of one clustering call, in pairwise value
// comparisons: sixteen unbounded treecluster calls in one step pinned the
// server's two cores for 36 s. At this bound a call takes well under a
// second.
const clusterWork = 20_000_000

// clusterCost refuses a call whose work is past clusterWork: n items of d
// values compared pairwise (n²·d; Kendall's tau compares pairs of values,
// n²·d²), and the linkages other than single, which rescan the distance
// matrix at every merge (n³).
func clusterCost(n, d int, dist, method string) error {
	work := float64(n) * float64(n) * float64(d)
	if dist == "k" {
		work *= float64(d)
	}
	if method == "m" || method == "a" || method == "c" {
		work = math.Max(work, float64(n)*float64(n)*float64(n))
	}
	if work > clusterWork {
		return fmt.Errorf("the data are too large to cluster here: %d items of %d values take about %.0f million comparisons, the limit is %d million; cluster fewer items or features",
			n, d, work/1e6, clusterWork/1_000_000)
	}
	return nil
}

func clusterElements(data [][]float64, transpose bool) ([][]float64, error) {
	if len(data) == 0 || len(data[0]) == 0 {
		return nil, fmt.Errorf("the data matrix is empty")
	}
	for i, row := range data {
		if len(row) != len(data[0]) {
			return nil, fmt.Errorf("row %d has %d values, row 1 has %d: the matrix must be rectangular", i+1, len(row), len(data[0]))
		}
	}
	if !transpose {
		return data, nil
	}
	out := make([][]float64, len(data[0]))
	for c := range out {
		out[c] = make([]float64, len(data))
		for r := range data {
			out[c][r] = data[r][c]
		}
	}
	return out, nil
}

func metricFor(dist string) (distanceFunc, error) {
	if dist == "" {
		dist = "e"
	}
	f, ok := clusterDistances[dist]
	if !ok {
		return nil, fmt.Errorf("unknown distance %q (e, b, c, a, u, x, s, k)", dist)
	}
	return f, nil
}

// distanceMatrix is the lower triangle: row i holds the distances to rows 0..i-1.
func distanceMatrix(elems [][]float64, metric distanceFunc) [][]float64 {
	m := make([][]float64, len(elems))
	for i := range elems {
		m[i] = make([]float64, i)
		for j := 0; j < i; j++ {
			m[i][j] = metric(elems, i, j)
		}
	}
	return m
}

// treeNode joins two elements (≥ 0) or earlier nodes (-1 is the first node).
type treeNode struct {
	Left     int     `json:"left"`
	Right    int     `json:"right"`
	Distance float64 `json:"distance"`
}

func closestPair(n int, dm [][]float64) (int, int, float64) {
	is, js, d := 1, 0, dm[1][0]
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			if dm[i][j] < d {
				d, is, js = dm[i][j], i, j
			}
		}
	}
	return is, js, d
}

// treeCluster is treecluster with method s (single), m (maximum), a (average) or c (centroid).
func treeCluster(elems [][]float64, method string, metric distanceFunc) ([]treeNode, error) {
	n := len(elems)
	if n < 2 {
		return nil, fmt.Errorf("at least 2 elements are needed to cluster, got %d", n)
	}
	switch method {
	case "s":
		return singleLinkage(elems, metric), nil
	case "", "m", "a":
		return pairwiseLinkage(distanceMatrix(elems, metric), method == "a"), nil
	case "c":
		return centroidLinkage(elems, metric), nil
	}
	return nil, fmt.Errorf("unknown method %q (s, m, a, c)", method)
}

// pairwiseLinkage is pmlcluster (maximum) or palcluster (average).
func pairwiseLinkage(dm [][]float64, average bool) []treeNode {
	nelements := len(dm)
	clusterID := make([]int, nelements)
	number := make([]int, nelements)
	for j := range clusterID {
		clusterID[j], number[j] = j, 1
	}
	merge := func(a, b float64, na, nb int) float64 {
		if average {
			return (a*float64(na) + b*float64(nb)) / float64(na+nb)
		}
		return math.Max(a, b)
	}
	result := make([]treeNode, 0, nelements-1)
	for n := nelements; n > 1; n-- {
		is, js, d := closestPair(n, dm)
		result = append(result, treeNode{Left: clusterID[is], Right: clusterID[js], Distance: d})
		ni, nj := number[is], number[js]
		for j := 0; j < js; j++ {
			dm[js][j] = merge(dm[is][j], dm[js][j], ni, nj)
		}
		for j := js + 1; j < is; j++ {
			dm[j][js] = merge(dm[is][j], dm[j][js], ni, nj)
		}
		for j := is + 1; j < n; j++ {
			dm[j][js] = merge(dm[j][is], dm[j][js], ni, nj)
		}
		for j := 0; j < is; j++ {
			dm[is][j] = dm[n-1][j]
		}
		for j := is + 1; j < n-1; j++ {
			dm[j][is] = dm[n-1][j]
		}
		number[js] = ni + nj
		number[is] = number[n-1]
		clusterID[js] = n - nelements - 1
		clusterID[is] = clusterID[n-1]
	}
	return result
}

// singleLinkage is pslcluster (SLINK).
func singleLinkage(elems [][]float64, metric distanceFunc) []treeNode {
	nelements := len(elems)
	nnodes := nelements - 1
	vector := make([]int, nnodes)
	for i := range vector {
		vector[i] = i
	}
	nodes := make([]treeNode, nelements)
	temp := make([]float64, nnodes)
	for i := 0; i < nelements; i++ {
		nodes[i].Distance = math.MaxFloat64
		for j := 0; j < i; j++ {
			temp[j] = metric(elems, i, j)
		}
		for j := 0; j < i; j++ {
			k := vector[j]
			if nodes[j].Distance >= temp[j] {
				if nodes[j].Distance < temp[k] {
					temp[k] = nodes[j].Distance
				}
				nodes[j].Distance = temp[j]
				vector[j] = i
			} else if temp[j] < temp[k] {
				temp[k] = temp[j]
			}
		}
		for j := 0; j < i; j++ {
			if nodes[j].Distance >= nodes[vector[j]].Distance {
				vector[j] = i
			}
		}
	}
	nodes = nodes[:nnodes]
	for i := range nodes {
		nodes[i].Left = i
	}
	// glibc's qsort is a merge sort here: stable.
	sort.SliceStable(nodes, func(a, b int) bool { return nodes[a].Distance < nodes[b].Distance })
	index := make([]int, nelements)
	for i := range index {
		index[i] = i
	}
	for i := range nodes {
		j := nodes[i].Left
		k := vector[j]
		nodes[i].Left, nodes[i].Right = index[j], index[k]
		index[k] = -i - 1
	}
	return nodes
}

// centroidLinkage is pclcluster.
func centroidLinkage(elems [][]float64, metric distanceFunc) []treeNode {
	nelements := len(elems)
	nnodes := nelements - 1
	data := make([][]float64, nelements)
	counts := make([]float64, nelements)
	for i := range elems {
		data[i] = append([]float64(nil), elems[i]...)
		counts[i] = 1
	}
	dm := distanceMatrix(data, metric)
	distID := make([]int, nelements)
	for i := range distID {
		distID[i] = i
	}
	result := make([]treeNode, 0, nnodes)
	for inode := 0; inode < nnodes; inode++ {
		is, js, d := closestPair(nelements-inode, dm)
		result = append(result, treeNode{Left: distID[js], Right: distID[is], Distance: d})
		for k := range data[js] {
			data[js][k] = (data[js][k]*counts[js] + data[is][k]*counts[is]) / (counts[js] + counts[is])
		}
		counts[js] += counts[is]
		last := nnodes - inode
		data[is], counts[is], distID[is] = data[last], counts[last], distID[last]
		for i := 0; i < is; i++ {
			dm[is][i] = dm[last][i]
		}
		for i := is + 1; i < last; i++ {
			dm[i][is] = dm[last][i]
		}
		distID[js] = -inode - 1
		for i := 0; i < js; i++ {
			dm[js][i] = metric(data, js, i)
		}
		for i := js + 1; i < last; i++ {
			dm[i][js] = metric(data, js, i)
		}
	}
	return result
}

// jacobiEigen diagonalizes a symmetric n×n matrix by cyclic Jacobi
// rotations: eigenvalues in descending order and eigenvectors as rows.
func jacobiEigen(a [][]float64) ([]float64, [][]float64) {
	n := len(a)
	s := make([][]float64, n)
	v := make([][]float64, n)
	for i := range s {
		s[i] = append([]float64(nil), a[i]...)
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off, diag := 0.0, 0.0
		for p := 0; p < n; p++ {
			diag += s[p][p] * s[p][p]
			for q := p + 1; q < n; q++ {
				off += s[p][q] * s[p][q]
			}
		}
		if off <= 1e-30*math.Max(diag, 1e-300) {
			break
		}
		for p := 0; p < n-1; p++ {
			for q := p + 1; q < n; q++ {
				if s[p][q] == 0 {
					continue
				}
				theta := (s[q][q] - s[p][p]) / (2 * s[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				sn := t * c
				for k := 0; k < n; k++ {
					skp, skq := s[k][p], s[k][q]
					s[k][p], s[k][q] = c*skp-sn*skq, sn*skp+c*skq
				}
				for k := 0; k < n; k++ {
					spk, sqk := s[p][k], s[q][k]
					s[p][k], s[q][k] = c*spk-sn*sqk, sn*spk+c*sqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-sn*vkq, sn*vkp+c*vkq
				}
			}
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return s[idx[i]][idx[i]] > s[idx[j]][idx[j]] })
	vals := make([]float64, n)
	vecs := make([][]float64, n)
	for r, i := range idx {
		vals[r] = s[i][i]
		vecs[r] = make([]float64, n)
		for k := 0; k < n; k++ {
			vecs[r][k] = v[k][i]
		}
	}
	return vals, vecs
}

// pcaResult is Bio.Cluster.pca's result: the column means, each row's
// coordinates on the principal components, the components (unit rows) and
// their eigenvalues (the singular values of the centered data).
type pcaResult struct {
	ColumnMean  []float64   `json:"column_mean"`
	Coordinates [][]float64 `json:"coordinates"`
	Components  [][]float64 `json:"components"`
	Eigenvalues []float64   `json:"eigenvalues"`
}

// pca centers the data and finds its principal components. A component's
// sign is arbitrary; it is chosen so that its largest entry is positive.
func pca(data [][]float64) (*pcaResult, error) {
	rows, err := clusterElements(data, false)
	if err != nil {
		return nil, err
	}
	nr, nc := len(rows), len(rows[0])
	mean := make([]float64, nc)
	for _, r := range rows {
		for k, x := range r {
			mean[k] += x / float64(nr)
		}
	}
	x := make([][]float64, nr)
	for i, r := range rows {
		x[i] = make([]float64, nc)
		for k := range r {
			x[i][k] = r[k] - mean[k]
		}
	}
	xtx := make([][]float64, nc)
	for a := range xtx {
		xtx[a] = make([]float64, nc)
		for b := range xtx[a] {
			for i := range x {
				xtx[a][b] += x[i][a] * x[i][b]
			}
		}
	}
	vals, vecs := jacobiEigen(xtx)
	ncomp := min(nr, nc)
	res := &pcaResult{ColumnMean: mean, Components: vecs[:ncomp], Eigenvalues: make([]float64, ncomp), Coordinates: make([][]float64, nr)}
	for c := 0; c < ncomp; c++ {
		res.Eigenvalues[c] = math.Sqrt(math.Max(vals[c], 0))
		big := 0
		for k := range vecs[c] {
			if math.Abs(vecs[c][k]) > math.Abs(vecs[c][big]) {
				big = k
			}
		}
		if vecs[c][big] < 0 {
			for k := range vecs[c] {
				vecs[c][k] = -vecs[c][k]
			}
		}
	}
	for i := range x {
		res.Coordinates[i] = make([]float64, ncomp)
		for c := 0; c < ncomp; c++ {
			for k := range x[i] {
				res.Coordinates[i][c] += x[i][k] * vecs[c][k]
			}
		}
	}
	return res, nil
}
