package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every flash code the handlers set has its message: an unknown code shows nothing, so the
// user would not learn that their change was saved. The codes are the string literals passed
// to setFlash, and the last argument of structureToggle (which passes it on).
func TestEveryFlashCodeHasAMessage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "setFlash" && sel.Sel.Name != "structureToggle") {
				return true
			}
			lit, ok := call.Args[len(call.Args)-1].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			code, _ := strconv.Unquote(lit.Value)
			found++
			if flashTexts[code] == "" {
				t.Errorf("%s: flash code %q has no message in flashTexts", fset.Position(lit.Pos()), code)
			}
			return true
		})
	}
	if found < 20 {
		t.Fatalf("only %d flash codes found: the scan no longer sees the calls", found)
	}
}
