package backendkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
)

// TestMapDriver runs the conformance suite on the driver of Example_driver.
func TestMapDriver(t *testing.T) {
	kvtest.TestBackend(t, func(*testing.T) kv.Backend { return new(MapDriver) })
}

// TestForward runs the suite on Forward alone: every method reaches the
// driver below unchanged, and the walk of the stack goes through it.
func TestForward(t *testing.T) {
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return backendkit.Forward{Next: new(MapDriver)}
	})
	f := backendkit.Forward{Next: new(MapDriver)}
	if got := kv.PropertiesOf(f).Scheme; got != "map" {
		t.Errorf("PropertiesOf through Forward: scheme %q, want map", got)
	}
	if _, ok := kv.As[*MapDriver](f); !ok {
		t.Error("kv.As does not find the driver below Forward")
	}
}

// counted returns the Counter of Example_layer over next, and checks when
// the test ends that it counted the bytes a stats layer right below it
// counted: every call went through the layer's overrides or its Forward.
func counted(t *testing.T, next kv.Backend) *Counter {
	st := stats.New(next)
	c := &Counter{Forward: backendkit.Forward{Next: st}}
	t.Cleanup(func() {
		ops := st.Snapshot().Ops
		if got, want := c.Loaded.Load(), ops["load"].Bytes; got != want {
			t.Errorf("the counter loaded %d bytes, the stats layer %d", got, want)
		}
		if got, want := c.Stored.Load(), ops["store"].Bytes; got != want {
			t.Errorf("the counter stored %d bytes, the stats layer %d", got, want)
		}
	})
	return c
}

// TestCounterLayer runs the suite on the layer of Example_layer over the
// driver of Example_driver, alone and in a stack with softdelete and
// nesting below it.
func TestCounterLayer(t *testing.T) {
	t.Run("Backend", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend { return counted(t, new(MapDriver)) })
	})
	t.Run("StackBackend", func(t *testing.T) {
		kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
			n, err := nesting.New(new(MapDriver), nil)
			if err != nil {
				t.Fatal(err)
			}
			return counted(t, softdelete.New(n))
		})
	})
	t.Run("Stack", func(t *testing.T) {
		kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
			n, err := nesting.New(new(MapDriver), levels)
			if err != nil {
				t.Fatal(err)
			}
			return counted(t, softdelete.New(n))
		})
	})
}

// TestBuiltinLayersForwardExplicitly checks the rule that built-in layers forward explicitly, on the layers of
// this module: none embeds backendkit.Forward or a kv.Backend, so that a
// method added to kv.Backend breaks the build of every one of them instead
// of passing through unseen.
func TestBuiltinLayersForwardExplicitly(t *testing.T) {
	const module = "github.com/kvcompose/compose/"
	banned := map[string]bool{module + "kv.Backend": true, module + "kv/backendkit.Forward": true}
	files := 0
	err := filepath.WalkDir("../../layers", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		imports := map[string]string{} // local name -> import path
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			name := p[strings.LastIndexByte(p, '/')+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				typ := field.Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				sel, ok := typ.(*ast.SelectorExpr)
				if !ok || len(field.Names) > 0 {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok && banned[imports[x.Name]+"."+sel.Sel.Name] {
					t.Errorf("%s embeds %s.%s: a layer of this module forwards every method explicitly", path, x.Name, sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 12 {
		t.Fatalf("read %d files of layers/, want every layer's", files)
	}
}
