package support

// Statistical disclosure control of the indicators (D5312-50 5°): a count of fewer than
// MinCell people is never shown, and no shown count lets anyone compute a hidden one.
//
// # The table
//
// A table of counts has R rows and C columns, a total per row, a total per column and a grand
// total: an (R+1)×(C+1) grid whose last row and last column are the totals. Every entry of the
// grid lies on exactly two lines: its row and its column. Each line is an equation (its
// entries, minus its total, sum to zero), which is how a reader would recover a hidden entry:
// on a line where exactly one entry is hidden, it is the total minus the others (or the sum of
// the others, for a total).
//
// # The algorithm
//
//  1. Primary suppression: every entry below MinCell, totals included, is hidden (zeros too:
//     "nobody" is below 11, and hiding a zero costs no information to protect the others).
//  2. Secondary suppression: while some line has exactly one hidden entry, hide one more entry
//     of that line, the smallest shown interior count (not a total) if there is one, else the
//     line's total. Hiding only ever adds entries, so the loop ends, at worst with everything
//     hidden.
//
// When it ends, every line has no hidden entry or at least two. Subtracting shown entries from
// shown totals, line by line and again with whatever was found, therefore finds nothing: the
// first step needs a line with a single unknown, and there is none (TestSuppressionResistsMargins
// tries it on random tables). Choosing the smallest count keeps the loss of information low;
// the protection does not depend on that choice.
//
// This is the protection against the margins the issue asks for. It is not a full
// linear-programming audit: a reader who combines several lines at once (for instance two
// groups of hidden cells joined by a single hidden cell) or bounds hidden cells by
// non-negativity could narrow some of them down. Tables here are small (organisations or
// départements by a handful of categories), and the extract, which holds the exact figures, is
// for the accountable services only.

// MinCell is the smallest count shown: any cell under 11 people is hidden.
const MinCell = 11

// Grid is a table of counts with its margins, once suppressed: Hidden marks the entries not to
// show. Cells[i][j] for i < R, j < C; RowTotals[i]; ColTotals[j]; Total.
type Grid struct {
	Cells     [][]int
	RowTotals []int
	ColTotals []int
	Total     int
	// Hidden has the grid's shape with the totals: (R+1)×(C+1), the last row and the last
	// column being the totals.
	Hidden [][]bool
}

// NewGrid builds the grid of cells (R rows of C counts), with sums as margins.
func NewGrid(cells [][]int) Grid {
	g := Grid{Cells: cells, RowTotals: make([]int, len(cells))}
	cols := 0
	if len(cells) > 0 {
		cols = len(cells[0])
	}
	g.ColTotals = make([]int, cols)
	for i, row := range cells {
		for j, n := range row {
			g.RowTotals[i] += n
			g.ColTotals[j] += n
			g.Total += n
		}
	}
	return g
}

// at is the entry (i, j) of the extended grid.
func (g *Grid) at(i, j int) int {
	r, c := len(g.Cells), len(g.ColTotals)
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

// Suppress hides the entries of g as the package documentation says.
func (g *Grid) Suppress() {
	r, c := len(g.Cells), len(g.ColTotals)
	g.Hidden = make([][]bool, r+1)
	for i := range g.Hidden {
		g.Hidden[i] = make([]bool, c+1)
		for j := range g.Hidden[i] {
			g.Hidden[i][j] = g.at(i, j) < MinCell
		}
	}
	for changed := true; changed; {
		changed = false
		// Rows, the totals row included.
		for i := 0; i <= r; i++ {
			line := make([][2]int, 0, c+1)
			for j := 0; j <= c; j++ {
				line = append(line, [2]int{i, j})
			}
			changed = g.secondary(line) || changed
		}
		// Columns, the totals column included.
		for j := 0; j <= c; j++ {
			line := make([][2]int, 0, r+1)
			for i := 0; i <= r; i++ {
				line = append(line, [2]int{i, j})
			}
			changed = g.secondary(line) || changed
		}
	}
}

// secondary hides one more entry of line (its last entry is the line's total) when exactly one
// is hidden, and tells whether it did.
func (g *Grid) secondary(line [][2]int) bool {
	hidden := 0
	for _, p := range line {
		if g.Hidden[p[0]][p[1]] {
			hidden++
		}
	}
	if hidden != 1 {
		return false
	}
	best := -1
	for k, p := range line[:len(line)-1] {
		if !g.Hidden[p[0]][p[1]] && (best < 0 || g.at(p[0], p[1]) < g.at(line[best][0], line[best][1])) {
			best = k
		}
	}
	if best < 0 {
		best = len(line) - 1 // only the total is left
	}
	if p := line[best]; !g.Hidden[p[0]][p[1]] {
		g.Hidden[p[0]][p[1]] = true
		return true
	}
	// A line of one entry: a total over no cell at all, zero by construction, tells nothing.
	return false
}

// Shown tells whether entry (i, j) of the extended grid is shown.
func (g *Grid) Shown(i, j int) bool { return g.Hidden == nil || !g.Hidden[i][j] }
