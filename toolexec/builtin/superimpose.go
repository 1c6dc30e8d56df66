package builtin

import (
	"fmt"
	"math"
	"sort"
)

type mat3 [3][3]float64

func (a mat3) mul(b mat3) mat3 {
	var out mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				out[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return out
}

func (a mat3) transpose() mat3 {
	var out mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			out[i][j] = a[j][i]
		}
	}
	return out
}

func (a mat3) det() float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}

// symmetricEigen diagonalizes a symmetric 3×3 matrix by cyclic Jacobi
// rotations: eigenvalues in descending order, eigenvectors as columns.
func symmetricEigen(s mat3) ([3]float64, mat3) {
	v := mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	for sweep := 0; sweep < 100; sweep++ {
		off := s[0][1]*s[0][1] + s[0][2]*s[0][2] + s[1][2]*s[1][2]
		if off < 1e-30 {
			break
		}
		for p := 0; p < 2; p++ {
			for q := p + 1; q < 3; q++ {
				if math.Abs(s[p][q]) < 1e-300 {
					continue
				}
				theta := (s[q][q] - s[p][p]) / (2 * s[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				sn := t * c
				for k := 0; k < 3; k++ { // s = Jᵀ s J
					skp, skq := s[k][p], s[k][q]
					s[k][p], s[k][q] = c*skp-sn*skq, sn*skp+c*skq
				}
				for k := 0; k < 3; k++ {
					spk, sqk := s[p][k], s[q][k]
					s[p][k], s[q][k] = c*spk-sn*sqk, sn*spk+c*sqk
				}
				for k := 0; k < 3; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-sn*vkq, sn*vkp+c*vkq
				}
			}
		}
	}
	idx := []int{0, 1, 2}
	sort.Slice(idx, func(i, j int) bool { return s[idx[i]][idx[i]] > s[idx[j]][idx[j]] })
	var vals [3]float64
	var vecs mat3
	for n, i := range idx {
		vals[n] = s[i][i]
		for k := 0; k < 3; k++ {
			vecs[k][n] = v[k][i]
		}
	}
	return vals, vecs
}

func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// svd3 returns u and vt with a = u·diag(σ)·vt, σ in descending order. The
// third left vector is always u1 × u2 (pointing along a·v3 when σ3 is not
// zero), so u stays orthonormal however small σ3 is.
func svd3(a mat3) (u, vt mat3) {
	vals, v := symmetricEigen(a.transpose().mul(a))
	var cols [3][3]float64
	for i := 0; i < 3; i++ {
		var col [3]float64
		for r := 0; r < 3; r++ {
			for k := 0; k < 3; k++ {
				col[r] += a[r][k] * v[k][i]
			}
		}
		if i == 2 {
			u3 := cross3(cols[0], cols[1])
			if col[0]*u3[0]+col[1]*u3[1]+col[2]*u3[2] < 0 {
				u3 = [3]float64{-u3[0], -u3[1], -u3[2]}
			}
			cols[2] = u3
			break
		}
		sigma := math.Sqrt(math.Max(vals[i], 0))
		if sigma <= 1e-9*math.Sqrt(math.Max(vals[0], 0)) || sigma == 0 {
			// Degenerate (collinear or coincident points): any unit vector
			// orthogonal to the earlier ones will do.
			col = orthogonalUnit(cols[:i])
		} else {
			for r := range col {
				col[r] /= sigma
			}
		}
		cols[i] = col
	}
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			u[r][c] = cols[c][r]
		}
	}
	return u, v.transpose()
}

// orthogonalUnit returns a unit vector orthogonal to the given unit vectors (at most one).
func orthogonalUnit(prev [][3]float64) [3]float64 {
	if len(prev) == 0 {
		return [3]float64{1, 0, 0}
	}
	p := prev[0]
	axis := [3]float64{1, 0, 0}
	if math.Abs(p[0]) > 0.9 {
		axis = [3]float64{0, 1, 0}
	}
	c := cross3(p, axis)
	n := math.Sqrt(c[0]*c[0] + c[1]*c[1] + c[2]*c[2])
	return [3]float64{c[0] / n, c[1] / n, c[2] / n}
}

// superimposition is the result of Bio.SVDSuperimposer: coords·Rotation +
// Translation best fits the reference.
type superimposition struct {
	Rotation    mat3
	Translation [3]float64
	RMS         float64
	InitialRMS  float64
	Transformed [][3]float64
}

func rmsd(a, b [][3]float64) float64 {
	sum := 0.0
	for i := range a {
		for k := 0; k < 3; k++ {
			d := a[i][k] - b[i][k]
			sum += d * d
		}
	}
	return math.Sqrt(sum / float64(len(a)))
}

// superimpose is SVDSuperimposer.set(reference, coords) then run().
func superimpose(reference, coords [][3]float64) (*superimposition, error) {
	n := len(reference)
	if n != len(coords) {
		return nil, fmt.Errorf("the two sets have %d and %d points; they must have as many", n, len(coords))
	}
	if n < 3 {
		return nil, fmt.Errorf("at least 3 points are needed, got %d", n)
	}
	var av1, av2 [3]float64
	for i := 0; i < n; i++ {
		for k := 0; k < 3; k++ {
			av1[k] += coords[i][k] / float64(n)
			av2[k] += reference[i][k] / float64(n)
		}
	}
	var corr mat3
	for i := 0; i < n; i++ {
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				corr[r][c] += (coords[i][r] - av1[r]) * (reference[i][c] - av2[c])
			}
		}
	}
	u, vt := svd3(corr)
	rot := u.mul(vt)
	if rot.det() < 0 {
		for k := 0; k < 3; k++ {
			vt[2][k] = -vt[2][k]
		}
		rot = u.mul(vt)
	}
	var tran [3]float64
	for c := 0; c < 3; c++ {
		tran[c] = av2[c]
		for k := 0; k < 3; k++ {
			tran[c] -= av1[k] * rot[k][c]
		}
	}
	transformed := make([][3]float64, n)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			transformed[i][c] = tran[c]
			for k := 0; k < 3; k++ {
				transformed[i][c] += coords[i][k] * rot[k][c]
			}
		}
	}
	return &superimposition{Rotation: rot, Translation: tran, RMS: rmsd(transformed, reference),
		InitialRMS: rmsd(coords, reference), Transformed: transformed}, nil
}
