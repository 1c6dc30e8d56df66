package builtin

import "math"

type vec3 [3]float64

func (a vec3) sub(b vec3) vec3 { return vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a vec3) dot(b vec3) float64 {
	return a[0]*b[0] + a[1]*b[1] + a[2]*b[2]
}
func (a vec3) cross(b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a vec3) norm() float64 { return math.Sqrt(a.dot(a)) }

// angleBetween is the angle between two vectors in radians, as Bio.PDB's Vector.angle.
func angleBetween(a, b vec3) float64 {
	c := a.dot(b) / (a.norm() * b.norm())
	return math.Acos(math.Max(-1, math.Min(1, c)))
}

// calcAngle is Bio.PDB.vectors.calc_angle: the angle v1-v2-v3 in radians.
func calcAngle(v1, v2, v3 vec3) float64 {
	return angleBetween(v1.sub(v2), v3.sub(v2))
}

// calcDihedral is Bio.PDB.vectors.calc_dihedral: the torsion v1-v2-v3-v4 in
// radians, in ]-pi, pi].
func calcDihedral(v1, v2, v3, v4 vec3) float64 {
	ab := v1.sub(v2)
	cb := v3.sub(v2)
	db := v4.sub(v3)
	u := ab.cross(cb)
	v := db.cross(cb)
	w := u.cross(v)
	angle := angleBetween(u, v)
	if angleBetween(cb, w) > 0.001 {
		angle = -angle
	}
	return angle
}
