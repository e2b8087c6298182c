package kit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// noBack is the comment that says why a question names no Back.
const noBack = "// no Back:"

// TestEveryQuestionGivesTheKeyboardBack: every kit.Confirm and
// kit.Notice written in ui (the kit's own Confirm{…} and Notice{…} too)
// names Back, what gets the keyboard when it closes, and every
// kit.ShowError is followed by .Back(…), or says why not with a
// "// no Back: <why>" comment on its line or the line above. Fyne's
// Button.Tapped (v2.8.1) takes the keyboard away before OnTapped runs, so
// a question a button asks, with no Back, closes leaving the keyboard
// nowhere: someone working with Tab and Space must take the mouse.
func TestEveryQuestionGivesTheKeyboardBack(t *testing.T) {
	seen := 0
	eachSource(t, parser.ParseComments, func(fset *token.FileSet, f *ast.File) {
		explained := map[int]bool{} // lines that carry the comment
		for _, g := range f.Comments {
			for _, c := range g.List {
				if strings.HasPrefix(c.Text, noBack) && len(strings.TrimSpace(strings.TrimPrefix(c.Text, noBack))) > 3 {
					explained[fset.Position(c.Pos()).Line] = true
				}
			}
		}
		backed := map[ast.Node]bool{} // ShowError calls followed by .Back
		ast.Inspect(f, func(n ast.Node) bool {
			var at token.Position
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if x.Sel.Name == "Back" {
					backed[x.X] = true
				}
				return true
			case *ast.CallExpr:
				if kitName(f.Name.Name, x.Fun) != "ShowError" || backed[x] {
					return true
				}
				at = fset.Position(x.Pos())
			case *ast.CompositeLit:
				if name := kitName(f.Name.Name, x.Type); name != "Confirm" && name != "Notice" {
					return true
				}
				seen++
				if hasBack(x) {
					return true
				}
				at = fset.Position(x.Pos())
			default:
				return true
			}
			if !explained[at.Line] && !explained[at.Line-1] {
				t.Errorf("%s: a question without Back leaves the keyboard nowhere when it closes; name what gets it (the button that asks) or say why not (%s <why>)", at, noBack)
			}
			return true
		})
	})
	if seen < 20 {
		t.Fatalf("found %d questions: the test reads the sources wrong", seen)
	}
}

// kitName is the name e, in a source of package pkg, gives to something of
// package kit (kit.Confirm, or Confirm inside kit); "" for anything else.
func kitName(pkg string, e ast.Expr) string {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "kit" {
			return x.Sel.Name
		}
	case *ast.Ident:
		if pkg == "kit" {
			return x.Name
		}
	}
	return ""
}

// hasBack reports whether lit names its Back.
func hasBack(lit *ast.CompositeLit) bool {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Back" {
				return true
			}
		}
	}
	return false
}
