package ticket

import "testing"

func BenchmarkNormalizeContact(b *testing.B) {
	c := Contact{Name: " 陈 小姐 ", Phone: "138 0013 8000", Email: " Chen.Li@Example.COM "}
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := NormalizeContact(c, "CN"); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	r := MustDefaultRules(shanghai)
	b.ReportAllocs()
	for b.Loop() {
		r.Classify("", "您好，我家楼道里有很重的煤气味，请尽快派人来看看", false)
	}
}
