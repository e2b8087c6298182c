package kit_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestErrorDialogSaysWhatFailed: Fyne's error dialog is titled "Error";
// kit's says what failed, and why below it.
func TestErrorDialogSaysWhatFailed(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(fyne.NewSize(900, 600))
	dialog.ShowError(errors.New("the server did not answer"), w)
	if got := kittest.Dialog(w); !slices.Contains(strings.Split(got, "\n"), "Error") {
		t.Fatalf("Fyne's dialog reads %q (the test reads titles wrong)", got)
	}
	w.Canvas().Overlays().Top().Hide()
	w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
	kit.ShowError("Could not revoke the token", "the server did not answer", w)
	got := kittest.Dialog(w)
	lines := strings.Split(got, "\n")
	if !slices.Contains(lines, "Could not revoke the token") || !slices.Contains(lines, "The server did not answer.") || slices.Contains(lines, "Error") {
		t.Errorf("kit's dialog reads %q", got)
	}
	kittest.TapDialog(t, w, "OK")
	if kittest.Dialog(w) != "" {
		t.Error("OK did not close it")
	}
}

// TestNoBareErrorDialog: no screen shows Fyne's "Error" dialog (its title
// says nothing of what failed); they use kit.ShowError.
func TestNoBareErrorDialog(t *testing.T) {
	for _, at := range uses(t, "dialog", func(name string) bool { return name == "ShowError" || name == "NewError" }) {
		t.Errorf("%s: Fyne's bare \"Error\" dialog; use kit.ShowError with a title that says what failed", at)
	}
}

// uses lists where the sources of ui (the kit's too) and of the app's main
// package name pkg.X for an X that match accepts.
func uses(t *testing.T, pkg string, match func(string) bool) []string {
	t.Helper()
	var found []string
	eachSource(t, 0, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == pkg && match(sel.Sel.Name) {
					found = append(found, fset.Position(sel.Pos()).String())
				}
			}
			return true
		})
	})
	return found
}

// eachSource parses, with mode, every source of ui (the kit's too) and of
// the app's main package, tests left out, and hands each to check.
func eachSource(t *testing.T, mode parser.Mode, check func(fset *token.FileSet, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	parse := func(path string) {
		f, err := parser.ParseFile(fset, path, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		check(fset, f)
	}
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			n++
			parse(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Glob("../../*.go")
	for _, path := range root {
		if !strings.HasSuffix(path, "_test.go") {
			parse(path)
		}
	}
	if n < 20 || len(root) == 0 {
		t.Fatalf("found %d ui sources and %d of the app's: not where the test thinks", n, len(root))
	}
}
