package permissions

import "testing"

// BenchmarkLookup measures the check of one name, the whole cost of the
// layer on a call it allows without an Info: a nested pack name under
// Borg's no-delete map, decided by its namespace two levels up.
func BenchmarkLookup(b *testing.B) {
	perms, _ := Shortcut("no-delete")
	r, err := compile(perms)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, g, ok := r.lookup("packs/01/0123456789abcdef0123456789abcdef"); !ok || g&letterR == 0 {
			b.Fatal("denied")
		}
	}
}
