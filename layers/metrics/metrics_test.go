package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/metrics"
)

// newReader returns a meter provider that a new manual reader collects.
func newReader() (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	r := sdkmetric.NewManualReader()
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)), r
}

// openStore returns an open metrics layer over a memory store holding
// "ns/a" = "0123456789" and "ns/b" = "b", and the reader of its metrics.
func openStore(t testing.TB, below func(kv.Backend) kv.Backend) (*metrics.Layer, *sdkmetric.ManualReader) {
	t.Helper()
	drv := kvtest.Fill(t, kvtest.OpenStore(t, memory.New("")), map[string]string{"ns/a": "0123456789", "ns/b": "b"})
	var b kv.Backend = drv
	if below != nil {
		b = below(drv)
	}
	mp, r := newReader()
	return metrics.New(b, metrics.WithMeterProvider(mp)), r
}

func TestBackend(t *testing.T) {
	mp, _ := newReader()
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return metrics.New(memory.New(""), metrics.WithMeterProvider(mp))
	})
}

// point is what the tests compare of one attribute set: the number of
// durations recorded and the bytes counted.
type point struct{ count, bytes int64 }

// key names an attribute set: the operation and the error type.
func key(set attribute.Set) string {
	op, _ := set.Value(metrics.KeyOperation)
	k := op.AsString()
	if t, ok := set.Value(metrics.KeyErrorType); ok {
		k += "/" + t.AsString()
	}
	return k
}

// collect reads the metrics of r, checks the scope, the instruments and
// the scheme attribute, and returns the points by key.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points := map[string]point{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != metrics.MeterName || sm.Scope.Version != "(devel)" {
			t.Errorf("scope %+v", sm.Scope)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				if m.Name != metrics.DurationName || m.Unit != "s" {
					t.Errorf("histogram %q in %q", m.Name, m.Unit)
				}
				for _, dp := range d.DataPoints {
					checkScheme(t, dp.Attributes)
					p := points[key(dp.Attributes)]
					p.count += int64(dp.Count)
					points[key(dp.Attributes)] = p
				}
			case metricdata.Sum[int64]:
				if m.Name != metrics.BytesName || m.Unit != "By" || !d.IsMonotonic {
					t.Errorf("counter %q in %q", m.Name, m.Unit)
				}
				for _, dp := range d.DataPoints {
					checkScheme(t, dp.Attributes)
					p := points[key(dp.Attributes)]
					p.bytes += dp.Value
					points[key(dp.Attributes)] = p
				}
			default:
				t.Errorf("instrument %q of %T", m.Name, m.Data)
			}
		}
	}
	return points
}

func checkScheme(t *testing.T, set attribute.Set) {
	t.Helper()
	if v, ok := set.Value(metrics.KeyScheme); !ok || v.AsString() != "mem" {
		t.Errorf("attributes %v: no scheme mem", set.ToSlice())
	}
}

// checkPoints compares got with want.
func checkPoints(t *testing.T, got, want map[string]point) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %+v, not wanted", k, g)
		}
	}
}

func TestMeasurements(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	l, r := openStore(t, nil)
	l.Store(ctx, "ns/c", []byte("hello"))
	l.Store(ctx, "ns/C", []byte("hello")) // invalid name: no bytes
	l.Load(ctx, "ns/a")
	l.Load(ctx, "ns/a", kv.Range(-4, 2))
	l.Load(ctx, "ns/zz")
	l.Load(cancelled, "ns/a")
	l.Info(ctx, "ns/zz") // missing: not an error
	l.Move(ctx, "ns/b", "ns/d")
	l.Delete(ctx, "ns/b")
	l.Hash(ctx, "ns/a", "crc0")
	l.Defrag(ctx, []kv.Block{{Name: "ns/a", Offset: 2, Size: 3}}, kv.Target("ns/e"))
	l.Mkdir(ctx, "dir")
	l.Rmdir(ctx, "dir")
	l.Quota(ctx)
	l.Open(ctx)
	checkPoints(t, collect(t, r), map[string]point{
		"store":              {count: 1, bytes: 5},
		"store/invalid_name": {count: 1},
		"load":               {count: 2, bytes: 12},
		"load/not_found":     {count: 1},
		"load/canceled":      {count: 1},
		"info":               {count: 1},
		"move":               {count: 1},
		"delete/not_found":   {count: 1},
		"hash/unsupported":   {count: 1},
		"defrag":             {count: 1, bytes: 3},
		"mkdir":              {count: 1},
		"rmdir":              {count: 1},
		"quota":              {count: 1},
		"open/already_open":  {count: 1},
	})
}

func TestList(t *testing.T) {
	ctx := context.Background()
	l, r := openStore(t, nil)
	seq := l.List(ctx, "ns")
	checkPoints(t, collect(t, r), map[string]point{})
	for range seq {
	}
	for range seq {
		break
	}
	for range l.List(ctx, "nope") {
	}
	checkPoints(t, collect(t, r), map[string]point{"list": {count: 2}, "list/not_found": {count: 1}})
}

// failing is a backend whose Load fails with err.
type failing struct {
	kv.Backend
	err error
}

func (f failing) Load(context.Context, string, ...kv.Option) ([]byte, error) { return nil, f.err }
func (f failing) Unwrap() kv.Backend                                         { return f.Backend }

type customError struct{}

func (customError) Error() string { return "custom" }

// TestErrorTypes checks error.type for errors beyond the sentinels.
func TestErrorTypes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{backendkit.NewError(kv.OpLoad, "ns/a", kv.ErrConnection, errors.New("reset")), "load/connection"},
		{backendkit.NewError(kv.OpLoad, "ns/a", nil, customError{}), "load/github.com/kvcompose/compose/layers/metrics_test.customError"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), "load/deadline_exceeded"},
		{errors.New("plain"), "load/*errors.errorString"},
	} {
		l, r := openStore(t, func(b kv.Backend) kv.Backend { return failing{b, tc.err} })
		l.Load(context.Background(), "ns/a")
		checkPoints(t, collect(t, r), map[string]point{tc.want: {count: 1}})
	}
}

// TestGlobalProvider checks that a layer made without a provider uses the
// global one. (One set after New is reached through OpenTelemetry's
// delegation, which happens once per process, so it is not tested here.)
func TestGlobalProvider(t *testing.T) {
	prev := otel.GetMeterProvider()
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	mp, r := newReader()
	otel.SetMeterProvider(mp)
	l := metrics.New(memory.New(""))
	ctx := context.Background()
	l.Open(ctx) // no store
	kvtest.OpenStore(t, l)
	l.Store(ctx, "ns/a", []byte("abc"))
	checkPoints(t, collect(t, r), map[string]point{"open/no_store": {count: 1}, "create": {count: 1},
		"open": {count: 1}, "store": {count: 1, bytes: 3}})
}

// TestAllocations checks that a Load through the layer with an SDK
// provider allocates little more than the driver alone.
func TestAllocations(t *testing.T) {
	ctx := context.Background()
	l, _ := openStore(t, nil)
	load := func(b kv.Backend) func() {
		return func() {
			if _, err := b.Load(ctx, "ns/a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if layer, driver := testing.AllocsPerRun(100, load(l)), testing.AllocsPerRun(100, load(l.Unwrap())); layer > driver+1 {
		t.Errorf("%v allocations per Load, the driver alone %v", layer, driver)
	}
}
