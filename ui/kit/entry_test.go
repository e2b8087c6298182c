package kit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBareEntry: ui builds its text fields with the kit (NewEntry,
// NewMultiLineEntry, NewPasswordEntry, NewSelectEntry, NewTextArea), whose
// fields pass the shell's Ctrl+L and Ctrl+F on to the window; a bare
// widget.Entry swallows them (entry.go).
func TestNoBareEntry(t *testing.T) {
	fset := token.NewFileSet()
	var bare []string
	check := func(path string) {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "widget" && strings.HasPrefix(n.Sel.Name, "New") && strings.HasSuffix(n.Sel.Name, "Entry") {
					bare = append(bare, fset.Position(n.Pos()).String()+": widget."+n.Sel.Name)
				}
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "widget" && strings.HasSuffix(sel.Sel.Name, "Entry") {
						bare = append(bare, fset.Position(n.Pos()).String()+": widget."+sel.Sel.Name+"{}")
					}
				}
			}
			return true
		})
	}
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == "../kit" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			n++
			check(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Glob("../../*.go")
	for _, path := range root {
		if !strings.HasSuffix(path, "_test.go") {
			check(path)
		}
	}
	if n < 20 || len(root) == 0 {
		t.Fatalf("found %d ui sources and %d of the app's: not where the test thinks", n, len(root))
	}
	for _, at := range bare {
		t.Errorf("%s: a bare Fyne entry swallows Ctrl+L and Ctrl+F; use kit.NewEntry and its siblings", at)
	}
}

// TestEntryTypesPassShortcutsOn: a type in ui that embeds a widget entry
// has a TypedShortcut that calls kit.TypedShortcut, or the shell's Ctrl+L
// and Ctrl+F die in it as in a bare entry.
func TestEntryTypesPassShortcutsOn(t *testing.T) {
	fset := token.NewFileSet()
	embeds := map[string]string{} // type -> where
	passes := map[string]bool{}   // type -> its TypedShortcut calls kit.TypedShortcut
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasPrefix(path, "../kit/") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkg := f.Name.Name + "."
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					ts, ok := sp.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						if sel, ok := fl.Type.(*ast.SelectorExpr); ok && len(fl.Names) == 0 {
							if x, ok := sel.X.(*ast.Ident); ok && x.Name == "widget" && strings.HasSuffix(sel.Sel.Name, "Entry") {
								embeds[pkg+ts.Name.Name] = fset.Position(ts.Pos()).String()
							}
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || d.Name.Name != "TypedShortcut" || len(d.Recv.List) != 1 {
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				id, ok := recv.(*ast.Ident)
				if !ok {
					continue
				}
				ast.Inspect(d.Body, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "kit" && sel.Sel.Name == "TypedShortcut" {
							passes[pkg+id.Name] = true
						}
					}
					return true
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(embeds) == 0 {
		t.Fatal("no type in ui embeds a widget entry: not where the test thinks")
	}
	for typ, at := range embeds {
		if !passes[typ] {
			t.Errorf("%s: %s embeds a widget entry; its TypedShortcut must call kit.TypedShortcut", at, typ)
		}
	}
}
