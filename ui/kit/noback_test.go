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
// names Back, what gets the keyboard when it closes, or says why not with
// a "// no Back: <why>" comment on its line or the line above. Fyne's
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
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !isQuestion(f.Name.Name, lit.Type) {
				return true
			}
			seen++
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Back" {
						return true
					}
				}
			}
			at := fset.Position(lit.Pos())
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

// isQuestion reports whether typ, a composite literal's type in package
// pkg, is kit.Confirm or kit.Notice.
func isQuestion(pkg string, typ ast.Expr) bool {
	name := ""
	switch x := typ.(type) {
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "kit" {
			name = x.Sel.Name
		}
	case *ast.Ident:
		if pkg == "kit" {
			name = x.Name
		}
	}
	return name == "Confirm" || name == "Notice"
}
