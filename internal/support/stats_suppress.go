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
//  3. Linear check: a reader may also combine several lines at once (two groups of hidden
//     cells joined by a single hidden cell give it away). While the system of the lines fixes
//     some hidden entry exactly (determined: reduced row echelon form over the hidden entries),
//     hide the smallest shown count of its row (else its column, else the grid), and go back
//     to 2. Hiding only ever adds entries, so this ends too; a grid fully hidden fixes nothing.
//
// When it ends, every line has no hidden entry or at least two. Subtracting shown entries from
// shown totals, line by line and again with whatever was found, therefore finds nothing: the
// first step needs a line with a single unknown, and there is none (TestSuppressionResistsMargins
// tries it on random tables). Choosing the smallest count keeps the loss of information low;
// the protection does not depend on that choice.
//
// Step 3 makes it hold against any exact linear combination of the margins too
// (TestSuppressionResistsLinearAlgebra solves the system on random tables). It does not claim
// more: bounds drawn from non-negativity (two hidden cells summing to 3 are each at most 3) are
// not hidden, and they only ever tell "few", which a hidden cell says anyway.

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
	for {
		g.lineRule()
		fixed := g.determined()
		if len(fixed) == 0 {
			return
		}
		if !g.hideNear(fixed[0]) {
			return
		}
	}
}

// lineRule hides entries until no line has exactly one hidden entry.
func (g *Grid) lineRule() {
	r, c := len(g.Cells), len(g.ColTotals)
	for changed := true; changed; {
		changed = false
		// Rows, the totals row included.
		for i := 0; i <= r; i++ {
			changed = g.secondary(g.rowLine(i)) || changed
		}
		// Columns, the totals column included.
		for j := 0; j <= c; j++ {
			changed = g.secondary(g.colLine(j)) || changed
		}
	}
}

// rowLine and colLine are the entries of a line, its total last.
func (g *Grid) rowLine(i int) [][2]int {
	c := len(g.ColTotals)
	line := make([][2]int, 0, c+1)
	for j := 0; j <= c; j++ {
		line = append(line, [2]int{i, j})
	}
	return line
}

func (g *Grid) colLine(j int) [][2]int {
	r := len(g.Cells)
	line := make([][2]int, 0, r+1)
	for i := 0; i <= r; i++ {
		line = append(line, [2]int{i, j})
	}
	return line
}

// hideNear hides one more entry to protect the hidden entry p, which the lines' equations
// fix: the smallest shown count of its row, else of its column (cells before totals), else of
// the whole grid. It tells whether anything was left to hide.
func (g *Grid) hideNear(p [2]int) bool {
	r, c := len(g.Cells), len(g.ColTotals)
	var all [][2]int
	for i := 0; i <= r; i++ {
		all = append(all, g.rowLine(i)...)
	}
	for _, line := range [][][2]int{g.rowLine(p[0]), g.colLine(p[1]), all} {
		best := [2]int{-1, -1}
		for _, q := range line {
			if g.Hidden[q[0]][q[1]] {
				continue
			}
			total := q[0] == r || q[1] == c
			if best[0] < 0 {
				best = q
				continue
			}
			bestTotal := best[0] == r || best[1] == c
			if total != bestTotal {
				if !total {
					best = q
				}
				continue
			}
			if g.at(q[0], q[1]) < g.at(best[0], best[1]) {
				best = q
			}
		}
		if best[0] >= 0 {
			g.Hidden[best[0]][best[1]] = true
			return true
		}
	}
	return false
}

// determined lists the hidden entries that the lines' equations fix exactly, whatever the
// reader combines: x is fixed when the unit vector of x lies in the row space of the system
// (its reduced row echelon form has a row whose only non-zero coefficient is x's). The
// coefficients are +1 for a cell of a line and -1 for its total; elimination keeps them small,
// and float64 with a tolerance is exact enough for tables of this size.
func (g *Grid) determined() [][2]int {
	r, c := len(g.Cells), len(g.ColTotals)
	index := map[[2]int]int{}
	var unknowns [][2]int
	for i := 0; i <= r; i++ {
		for j := 0; j <= c; j++ {
			if g.Hidden[i][j] {
				index[[2]int{i, j}] = len(unknowns)
				unknowns = append(unknowns, [2]int{i, j})
			}
		}
	}
	n := len(unknowns)
	if n == 0 {
		return nil
	}
	var m [][]float64
	for _, line := range func() [][][2]int {
		var ls [][][2]int
		for i := 0; i <= r; i++ {
			ls = append(ls, g.rowLine(i))
		}
		for j := 0; j <= c; j++ {
			ls = append(ls, g.colLine(j))
		}
		return ls
	}() {
		row := make([]float64, n)
		for k, q := range line {
			if u, ok := index[q]; ok {
				row[u] = 1
				if k == len(line)-1 {
					row[u] = -1
				}
			}
		}
		m = append(m, row)
	}
	const eps = 1e-9
	abs := func(x float64) float64 {
		if x < 0 {
			return -x
		}
		return x
	}
	var pivots []int
	lead := 0
	for col := 0; col < n && lead < len(m); col++ {
		p := -1
		for i := lead; i < len(m); i++ {
			if abs(m[i][col]) > eps {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[lead], m[p] = m[p], m[lead]
		pv := m[lead][col]
		for k := range m[lead] {
			m[lead][k] /= pv
		}
		for i := range m {
			if i != lead && abs(m[i][col]) > eps {
				f := m[i][col]
				for k := range m[i] {
					m[i][k] -= f * m[lead][k]
				}
			}
		}
		pivots = append(pivots, col)
		lead++
	}
	var out [][2]int
	for i := range lead {
		nonZero := 0
		for k := range n {
			if abs(m[i][k]) > eps {
				nonZero++
			}
		}
		if nonZero == 1 {
			out = append(out, unknowns[pivots[i]])
		}
	}
	return out
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
