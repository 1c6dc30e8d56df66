package builtin

import (
	"math"
	"strings"
)

// This file follows Bio.pairwise2 (Biopython 1.80) for identity scoring with
// affine gaps: the same dynamic programme, the same trace bits, the same
// traceback order, so scores and the lists of optimal alignments agree.

// maxAlignments bounds the alignments recovered, as pairwise2.MAX_ALIGNMENTS.
const maxAlignments = 1000

// Trace bits of a cell: which moves reach its best score.
const (
	traceRowOpen   = 1  // open a gap in sequence A
	traceMatch     = 2  // align A[row-1] with B[col-1]
	traceColOpen   = 4  // open a gap in sequence B
	traceRowExtend = 8  // extend a gap in sequence A
	traceColExtend = 16 // extend a gap in sequence B
)

// alignParams are the scoring parameters of an alignment.
type alignParams struct {
	Match, Mismatch   float64
	GapOpen, GapExt   float64
	PenalizeEndGaps   bool
	Global            bool
	GapChar           byte
	OneAlignmentOnly  bool
	PenalizeExtOnOpen bool
}

// alignment is one optimal alignment: the gapped sequences, the score, and
// the aligned region [Start, End) of the gapped strings.
type alignment struct {
	SeqA  string  `json:"seqA"`
	SeqB  string  `json:"seqB"`
	Score float64 `json:"score"`
	Start int     `json:"start"`
	End   int     `json:"end"`
}

// rint is pairwise2.rint: the score at 1/1000 precision, truncated as Python's int().
func rint(x float64) int64 { return int64(math.Trunc(x*1000 + 0.5)) }

func affinePenalty(length int, open, extend float64, penalizeExtOnOpen bool) float64 {
	if length <= 0 {
		return 0
	}
	p := open + extend*float64(length)
	if !penalizeExtOnOpen {
		p -= extend
	}
	return p
}

// scoreMatrices is _make_score_matrix_fast.
func scoreMatrices(a, b string, p alignParams) ([][]float64, [][]int, float64) {
	lenA, lenB := len(a), len(b)
	firstGap := affinePenalty(1, p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
	score := make([][]float64, lenA+1)
	trace := make([][]int, lenA+1)
	for i := range score {
		score[i] = make([]float64, lenB+1)
		trace[i] = make([]int, lenB+1)
	}
	endGaps := p.PenalizeEndGaps
	for i := 0; i <= lenA; i++ {
		if endGaps {
			score[i][0] = affinePenalty(i, p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
		}
	}
	for j := 0; j <= lenB; j++ {
		if endGaps {
			score[0][j] = affinePenalty(j, p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
		}
	}
	colScore := make([]float64, lenB+1)
	for j := 1; j <= lenB; j++ {
		colScore[j] = affinePenalty(j, 2*p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
	}
	localMax := 0.0
	best := 0.0
	for row := 1; row <= lenA; row++ {
		rowScore := affinePenalty(row, 2*p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
		for col := 1; col <= lenB; col++ {
			m := p.Mismatch
			if a[row-1] == b[col-1] {
				m = p.Match
			}
			nogap := score[row-1][col-1] + m
			var rowOpen, rowExtend float64
			if !endGaps && row == lenA {
				rowOpen, rowExtend = score[row][col-1], rowScore
			} else {
				rowOpen, rowExtend = score[row][col-1]+firstGap, rowScore+p.GapExt
			}
			rowScore = math.Max(rowOpen, rowExtend)
			var colOpen, colExtend float64
			if !endGaps && col == lenB {
				colOpen, colExtend = score[row-1][col], colScore[col]
			} else {
				colOpen, colExtend = score[row-1][col]+firstGap, colScore[col]+p.GapExt
			}
			colScore[col] = math.Max(colOpen, colExtend)
			best = math.Max(nogap, math.Max(colScore[col], rowScore))
			localMax = math.Max(localMax, best)
			if !p.Global && best < 0 {
				score[row][col] = 0
			} else {
				score[row][col] = best
			}
			rowR, colR, bestR := rint(rowScore), rint(colScore[col]), rint(best)
			rowTrace, colTrace, t := 0, 0, 0
			if rint(rowOpen) == rowR {
				rowTrace += traceRowOpen
			}
			if rint(rowExtend) == rowR {
				rowTrace += traceRowExtend
			}
			if rint(colOpen) == colR {
				colTrace += traceColOpen
			}
			if rint(colExtend) == colR {
				colTrace += traceColExtend
			}
			if rint(nogap) == bestR {
				t += traceMatch
			}
			if rowR == bestR {
				t += rowTrace
			}
			if colR == bestR {
				t += colTrace
			}
			trace[row][col] = t
		}
	}
	if !p.Global {
		best = localMax
	}
	return score, trace, best
}

type start struct {
	score    float64
	row, col int
}

// findStarts is _find_start.
func findStarts(score [][]float64, best float64, global bool) []start {
	rows, cols := len(score), len(score[0])
	if global {
		return []start{{best, rows - 1, cols - 1}}
	}
	var out []start
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if rint(math.Abs(score[r][c]-best)) <= 0 {
				out = append(out, start{score[r][c], r, c})
			}
		}
	}
	return out
}

// pending is a traceback branch still to follow.
type pending struct {
	aliA, aliB []byte
	end        *int
	row, col   int
	colGap     bool
	trace      int
}

func reversed(s string) []byte {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// traceback is _recover_alignments. It returns alignments before cleaning,
// with End nil for a global alignment.
func traceback(a, b string, starts []start, best float64, score [][]float64, trace [][]int, p alignParams, swap bool) []rawAlignment {
	lenA, lenB := len(a), len(b)
	startSet := map[[2]int]float64{}
	for _, s := range starts {
		startSet[[2]int{s.row, s.col}] = s.score
	}
	var stack []pending
	var lastScore float64
	var aliA, aliB []byte
	for _, s := range starts {
		lastScore = s.score
		var end *int
		if !p.Global {
			if sc, ok := startSet[[2]int{s.row - 1, s.col - 1}]; ok && sc == s.score {
				continue
			}
			if s.score <= 0 {
				continue
			}
			if t := trace[s.row][s.col]; (t-t%2)%4 == 2 {
				trace[s.row][s.col] = traceMatch
			} else {
				continue
			}
			if e := -max(lenA-s.row, lenB-s.col); e != 0 {
				end = &e
			}
			colDist, rowDist := lenB-s.col, lenA-s.row
			aliA = append([]byte(strings.Repeat(string(p.GapChar), max(colDist-rowDist, 0))), reversed(a[s.row:])...)
			aliB = append([]byte(strings.Repeat(string(p.GapChar), max(rowDist-colDist, 0))), reversed(b[s.col:])...)
		}
		stack = append(stack, pending{aliA: clone(aliA), aliB: clone(aliB), end: end, row: s.row, col: s.col, trace: trace[s.row][s.col]})
	}
	var out []rawAlignment
	begin := 0 // as in Biopython, a begin found by one traceback carries over to the next
	for len(stack) > 0 && len(out) < maxAlignments {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		aliA, aliB, end, row, col, colGap, t := cur.aliA, cur.aliB, cur.end, cur.row, cur.col, cur.colGap, cur.trace
		deadEnd := false
		for (row > 0 || col > 0) && !deadEnd {
			cache := pending{aliA: clone(aliA), aliB: clone(aliB), end: end, row: row, col: col, colGap: colGap}
			if t == 0 {
				if col > 0 && colGap {
					deadEnd = true
				} else {
					aliA, aliB = finishBacktrace(a, b, aliA, aliB, row, col, p.GapChar)
				}
				break
			}
			switch {
			case t%2 == 1:
				t -= traceRowOpen
				if colGap {
					deadEnd = true
				} else {
					col--
					aliA = append(aliA, p.GapChar)
					aliB = append(aliB, b[col])
					colGap = false
				}
			case t%4 == 2:
				t -= traceMatch
				row--
				col--
				aliA = append(aliA, a[row])
				aliB = append(aliB, b[col])
				colGap = false
			case t%8 == 4:
				t -= traceColOpen
				row--
				aliA = append(aliA, a[row])
				aliB = append(aliB, p.GapChar)
				colGap = true
			case t == 8 || t == 24:
				t -= traceRowExtend
				if colGap {
					deadEnd = true
				} else {
					colGap = false
					aliA, aliB, row, col, stack, deadEnd = findGapOpen(a, b, aliA, aliB, end, row, col, colGap, score, trace, stack, p, col, "col", best)
				}
			case t == 16:
				t -= traceColExtend
				colGap = true
				aliA, aliB, row, col, stack, deadEnd = findGapOpen(a, b, aliA, aliB, end, row, col, colGap, score, trace, stack, p, row, "row", best)
			}
			if t != 0 {
				cache.trace = t
				stack = append(stack, cache)
			}
			t = trace[row][col]
			if !p.Global {
				if score[row][col] == best {
					deadEnd = true
				} else if score[row][col] <= 0 {
					begin = max(row, col)
					t = 0
				}
			}
		}
		if !deadEnd {
			ra := rawAlignment{score: lastScore, begin: begin, end: end}
			if !swap {
				ra.seqA, ra.seqB = string(reversed(string(aliA))), string(reversed(string(aliB)))
			} else {
				ra.seqA, ra.seqB = string(reversed(string(aliB))), string(reversed(string(aliA)))
			}
			out = append(out, ra)
			if p.OneAlignmentOnly {
				break
			}
		}
	}
	return out
}

type rawAlignment struct {
	seqA, seqB string
	score      float64
	begin      int
	end        *int
}

func (r rawAlignment) same(o rawAlignment) bool {
	if r.seqA != o.seqA || r.seqB != o.seqB || r.score != o.score || r.begin != o.begin || (r.end == nil) != (o.end == nil) {
		return false
	}
	return r.end == nil || *r.end == *o.end
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// finishBacktrace is _finish_backtrace.
func finishBacktrace(a, b string, aliA, aliB []byte, row, col int, gap byte) ([]byte, []byte) {
	if row > 0 {
		aliA = append(aliA, reversed(a[:row])...)
	}
	if col > 0 {
		aliB = append(aliB, reversed(b[:col])...)
	}
	if row > col {
		for len(aliB) < len(aliA) {
			aliB = append(aliB, gap)
		}
	} else if col > row {
		for len(aliA) < len(aliB) {
			aliA = append(aliA, gap)
		}
	}
	return aliA, aliB
}

// findGapOpen is _find_gap_open: walk back along an extended gap, queueing
// every place where it could have been opened.
func findGapOpen(a, b string, aliA, aliB []byte, end *int, row, col int, colGap bool, score [][]float64, trace [][]int,
	stack []pending, p alignParams, target int, direction string, best float64) ([]byte, []byte, int, int, []pending, bool) {
	deadEnd := false
	targetScore := score[row][col]
	for n := 0; n < target; n++ {
		if direction == "col" {
			col--
			aliA = append(aliA, p.GapChar)
			aliB = append(aliB, b[col])
		} else {
			row--
			aliA = append(aliA, a[row])
			aliB = append(aliB, p.GapChar)
		}
		actual := score[row][col] + affinePenalty(n+1, p.GapOpen, p.GapExt, p.PenalizeExtOnOpen)
		if !p.Global && score[row][col] == best {
			deadEnd = true
			break
		}
		if rint(actual) == rint(targetScore) && n > 0 {
			if trace[row][col] == 0 {
				break
			}
			stack = append(stack, pending{aliA: clone(aliA), aliB: clone(aliB), end: end, row: row, col: col, colGap: colGap, trace: trace[row][col]})
		}
		if trace[row][col] == 0 {
			deadEnd = true
		}
	}
	return aliA, aliB, row, col, stack, deadEnd
}

// swapTrace exchanges the A and B bits of a trace: the trace of the transposed problem.
func swapTrace(t int) int {
	out := t & traceMatch
	if t&traceRowOpen != 0 {
		out |= traceColOpen
	}
	if t&traceColOpen != 0 {
		out |= traceRowOpen
	}
	if t&traceRowExtend != 0 {
		out |= traceColExtend
	}
	if t&traceColExtend != 0 {
		out |= traceRowExtend
	}
	return out
}

// pairwiseAlign is pairwise2's _align for identity scoring and affine gaps:
// the best score and the optimal alignments (at most maxAlignments).
func pairwiseAlign(a, b string, p alignParams) (float64, []alignment) {
	if a == "" || b == "" {
		return 0, nil
	}
	score, trace, best := scoreMatrices(a, b, p)
	starts := findStarts(score, best, p.Global)
	raw := traceback(a, b, starts, best, score, trace, p, false)
	if len(raw) == 0 {
		// Transpose the problem and trace back again, as Biopython does.
		ts := make([][]float64, len(b)+1)
		tt := make([][]int, len(b)+1)
		for c := range ts {
			ts[c] = make([]float64, len(a)+1)
			tt[c] = make([]int, len(a)+1)
			for r := range ts[c] {
				ts[c][r] = score[r][c]
				tt[c][r] = swapTrace(trace[r][c])
			}
		}
		swapped := make([]start, len(starts))
		for i, s := range starts {
			swapped[i] = start{s.score, s.col, s.row}
		}
		raw = traceback(b, a, swapped, best, ts, tt, p, true)
	}
	return best, cleanAlignments(raw)
}

// cleanAlignments is _clean_alignments: drop duplicates and empty regions, resolve ends.
func cleanAlignments(raw []rawAlignment) []alignment {
	var unique []rawAlignment
	for _, r := range raw {
		dup := false
		for _, u := range unique {
			if u.same(r) {
				dup = true
				break
			}
		}
		if !dup {
			unique = append(unique, r)
		}
	}
	out := []alignment{}
	for _, u := range unique {
		end := len(u.seqA)
		if u.end != nil {
			end = *u.end + len(u.seqA)
		}
		if u.begin >= end {
			continue
		}
		out = append(out, alignment{SeqA: u.seqA, SeqB: u.seqB, Score: u.score, Start: u.begin, End: end})
	}
	return out
}
