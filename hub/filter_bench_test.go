package hub

import "testing"

// BenchmarkEchoThroughFilters is BenchmarkEchoRoundTrip with filters that
// pass every call on: the cost of the Invocation a filter chain needs
// (compare allocs/op with BenchmarkEchoRoundTrip; without filters a call
// takes no detour).
func BenchmarkEchoThroughFilters(b *testing.B) {
	pass := FilterFuncs{Invoke: func(c *Context, inv *Invocation, next InvokeFunc) (any, error) { return next(c, inv) }}
	for _, n := range []int{1, 3} {
		filters := make([]Filter, n)
		for i := range filters {
			filters[i] = pass
		}
		b.Run(map[int]string{1: "filters=1", 3: "filters=3"}[n], func(b *testing.B) {
			_, url := testServer(b, Config{Filters: filters}, func(s *Server) {
				_ = s.Register("Echo", func(msg string) string { return msg })
			})
			c := dial(b, url, codecs[0])
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if comp := c.invoke("1", "Echo", "hello"); comp.Error != "" {
					b.Fatal(comp.Error)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
