package support_test

import (
	"testing"

	"pgregory.net/rapid"

	"parcours/internal/support"
)

// recover plays the reader who wants the hidden counts: on every line (a row or a column of
// the grid with its total) with exactly one unknown entry, the unknown is the total minus the
// known entries (or their sum, for the total); repeat with what was found until nothing moves.
// It returns the hidden entries found.
func recoverHidden(g support.Grid) [][2]int {
	r, c := len(g.Cells), len(g.ColTotals)
	value := func(i, j int) int {
		switch {
		case i == r && j == c:
			return g.Total
		case i == r:
			return g.ColTotals[j]
		case j == c:
			return g.RowTotals[i]
		}
		return g.Cells[i][j]
	}
	known := make([][]bool, r+1)
	for i := range known {
		known[i] = make([]bool, c+1)
		for j := range known[i] {
			known[i][j] = g.Shown(i, j)
		}
	}
	var found [][2]int
	solve := func(line [][2]int) bool {
		unknown, sum := -1, 0
		for k, p := range line {
			if !known[p[0]][p[1]] {
				if unknown >= 0 {
					return false
				}
				unknown = k
				continue
			}
			if k < len(line)-1 {
				sum += value(p[0], p[1])
			} else {
				sum -= value(p[0], p[1])
			}
		}
		if unknown < 0 {
			return false
		}
		p := line[unknown]
		// The reader computes the value from the shown ones only.
		var got int
		if unknown == len(line)-1 {
			got = sum
		} else {
			got = -sum
		}
		if got != value(p[0], p[1]) {
			panic("the recovery arithmetic is wrong")
		}
		known[p[0]][p[1]] = true
		found = append(found, p)
		return true
	}
	for moved := true; moved; {
		moved = false
		for i := 0; i <= r; i++ {
			var line [][2]int
			for j := 0; j <= c; j++ {
				line = append(line, [2]int{i, j})
			}
			moved = solve(line) || moved
		}
		for j := 0; j <= c; j++ {
			var line [][2]int
			for i := 0; i <= r; i++ {
				line = append(line, [2]int{i, j})
			}
			moved = solve(line) || moved
		}
	}
	return found
}

// The attack works on an unprotected table: hiding only the small cells gives them away.
func TestMarginsRevealPrimarySuppressionAlone(t *testing.T) {
	g := support.NewGrid([][]int{{3, 40, 25}, {30, 12, 50}})
	g.Hidden = [][]bool{{true, false, false, false}, {false, false, false, false}, {false, false, false, false}}
	if found := recoverHidden(g); len(found) != 1 {
		t.Fatalf("the attack should find the lone hidden cell: %v", found)
	}
}

// An example: the small cell, and as few others as needed, are hidden.
func TestSuppressionExample(t *testing.T) {
	g := support.NewGrid([][]int{{3, 40, 25}, {30, 12, 50}, {20, 20, 20}})
	g.Suppress()
	if g.Shown(0, 0) {
		t.Fatal("3 is shown")
	}
	hidden := 0
	for i := range g.Hidden {
		for j := range g.Hidden[i] {
			if g.Hidden[i][j] {
				hidden++
			}
		}
	}
	if hidden != 4 || g.Shown(0, 0) || !g.Shown(3, 3) {
		t.Fatalf("hidden %v", g.Hidden)
	}
	if found := recoverHidden(g); len(found) != 0 {
		t.Fatalf("recovered %v", found)
	}
}

// A table without rows (nobody in the scope) ends, everything hidden.
func TestSuppressionOfAnEmptyTable(t *testing.T) {
	g := support.NewGrid([][]int{})
	g.ColTotals = make([]int, 3)
	g.Suppress()
	for j := range 4 {
		if g.Shown(0, j) {
			t.Fatalf("total %d shown", j)
		}
	}
}

// Property over random tables: every count under 11 is hidden, totals included, and
// subtracting shown cells from shown totals, per row and per column and iterating, recovers no
// hidden count.
func TestSuppressionResistsMargins(t *testing.T) {
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
		for i := 0; i <= rows; i++ {
			for j := 0; j <= cols; j++ {
				var v int
				switch {
				case i == rows && j == cols:
					v = g.Total
				case i == rows:
					v = g.ColTotals[j]
				case j == cols:
					v = g.RowTotals[i]
				default:
					v = cells[i][j]
				}
				if v < support.MinCell && g.Shown(i, j) {
					rt.Fatalf("count %d at (%d, %d) shown", v, i, j)
				}
			}
		}
		if found := recoverHidden(g); len(found) != 0 {
			rt.Fatalf("recovered %v from %v hidden %v", found, cells, g.Hidden)
		}
	})
}
