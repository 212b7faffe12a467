package support_test

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"parcours/internal/support"
)

// determined plays the attacker: it lists the hidden entries of g that the equations of its lines fix exactly (an
// attacker solving the linear system, not only line by line).
func determined(g support.Grid) [][2]int {
	r, c := len(g.Cells), len(g.ColTotals)
	var unknowns [][2]int
	index := map[[2]int]int{}
	for i := 0; i <= r; i++ {
		for j := 0; j <= c; j++ {
			if !g.Shown(i, j) {
				index[[2]int{i, j}] = len(unknowns)
				unknowns = append(unknowns, [2]int{i, j})
			}
		}
	}
	n := len(unknowns)
	var rows [][]float64
	coef := func(i, j, lineIsRow int) float64 {
		// +1 for a cell of the line, -1 for the line's total.
		if lineIsRow == 1 && j == c || lineIsRow == 0 && i == r {
			return -1
		}
		return 1
	}
	for i := 0; i <= r; i++ {
		row := make([]float64, n)
		for j := 0; j <= c; j++ {
			if k, ok := index[[2]int{i, j}]; ok {
				row[k] = coef(i, j, 1)
			}
		}
		rows = append(rows, row)
	}
	for j := 0; j <= c; j++ {
		row := make([]float64, n)
		for i := 0; i <= r; i++ {
			if k, ok := index[[2]int{i, j}]; ok {
				row[k] = coef(i, j, 0)
			}
		}
		rows = append(rows, row)
	}
	// Reduced row echelon form.
	pivots := []int{}
	lead := 0
	for col := 0; col < n && lead < len(rows); col++ {
		p := -1
		for i := lead; i < len(rows); i++ {
			if math.Abs(rows[i][col]) > 1e-9 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[lead], rows[p] = rows[p], rows[lead]
		pv := rows[lead][col]
		for k := range rows[lead] {
			rows[lead][k] /= pv
		}
		for i := range rows {
			if i != lead && math.Abs(rows[i][col]) > 1e-9 {
				f := rows[i][col]
				for k := range rows[i] {
					rows[i][k] -= f * rows[lead][k]
				}
			}
		}
		pivots = append(pivots, col)
		lead++
	}
	// An unknown is fixed when a row of the RREF has it as its only non-zero entry.
	var out [][2]int
	for i := range lead {
		nz := 0
		for k := range n {
			if math.Abs(rows[i][k]) > 1e-9 {
				nz++
			}
		}
		if nz == 1 {
			out = append(out, unknowns[pivots[i]])
		}
	}
	return out
}

// Property over random tables: an attacker solving the whole system of the margins (not
// only line by line) fixes no hidden count.
func TestSuppressionResistsLinearAlgebra(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rows := rapid.IntRange(1, 7).Draw(rt, "rows")
		cols := rapid.IntRange(1, 6).Draw(rt, "cols")
		cells := make([][]int, rows)
		for i := range cells {
			cells[i] = make([]int, cols)
			for j := range cells[i] {
				if rapid.Bool().Draw(rt, "small") {
					cells[i][j] = rapid.IntRange(0, 12).Draw(rt, "n")
				} else {
					cells[i][j] = rapid.IntRange(0, 200).Draw(rt, "n")
				}
			}
		}
		g := support.NewGrid(cells)
		g.Suppress()
		if found := determined(g); len(found) != 0 {
			rt.Fatalf("determined %v from %v hidden %v", found, cells, g.Hidden)
		}
	})
}

// A table where hiding by lines alone leaves a cell that the whole system fixes: the linear
// check hides more.
func TestSuppressionLinearCounterexample(t *testing.T) {
	cells := [][]int{{0, 11, 0, 0}, {0, 0, 11, 11}, {0, 0, 11, 11}, {0, 0, 11, 11}, {11, 11, 0, 0}}
	g := support.NewGrid(cells)
	g.Suppress()
	if found := determined(g); len(found) != 0 {
		t.Fatalf("determined %v, hidden %v", found, g.Hidden)
	}
	if found := recoverHidden(g); len(found) != 0 {
		t.Fatalf("recovered %v", found)
	}
}
