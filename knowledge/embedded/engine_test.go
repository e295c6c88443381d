package embedded_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
)

var analyzer = knowledge.NewAnalyzer(knowledge.DefaultSynonyms())

func published(code, name string, keywords ...string) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "rsj", Category: "社会保障", Keywords: keywords,
		Scope: "本市居民", Status: knowledge.StatusPublished, Version: 1}
}

// find returns the codes found for text, best first.
func find(t *testing.T, ix *embedded.Index, text string) []string {
	t.Helper()
	p, err := analyzer.Analyze(knowledge.Query{Text: text, Limit: 100})
	if err != nil {
		t.Fatalf("analyze %q: %v", text, err)
	}
	hits, total, err := ix.Search(context.Background(), p)
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	if total < len(hits) {
		t.Errorf("search %q: total %d below the %d hits", text, total, len(hits))
	}
	var codes []string
	for _, h := range hits {
		codes = append(codes, h.Guide.Code)
	}
	return codes
}

func upsert(t *testing.T, ix *embedded.Index, guides ...knowledge.Guide) {
	t.Helper()
	if err := ix.Upsert(context.Background(), guides); err != nil {
		t.Fatal(err)
	}
}

// A word is matched verbatim in names and keywords: its pieces in another
// order, or on both sides of a break, are not the word.
func TestIndex_VerbatimOnlyAcrossNoBreak(t *testing.T) {
	ix := embedded.New()
	upsert(t, ix,
		published("a", "社会保障卡申领"),
		published("b", "保障卡社会化服务"),        // the pieces of 社会保障卡, in another order
		published("c", "其他", "社会", "保障卡"), // both words, as separate keywords
		published("d", "社会保障卡 补办"))
	got := find(t, ix, "社会保障卡")
	if len(got) < 2 || !slices.Contains(got[:2], "a") || !slices.Contains(got[:2], "d") {
		t.Fatalf("search 社会保障卡 = %v, want a and d (verbatim) first", got)
	}
	if i := slices.Index(got, "c"); i >= 0 && i < 2 {
		t.Errorf("search 社会保障卡 = %v: c has the word across a break between keywords", got)
	}
}

// Past the positions a postings mask holds, a word is checked in the text.
func TestIndex_LongKeywordListsMatchedInTheirText(t *testing.T) {
	ix := embedded.New()
	var kws []string
	for i := range 40 {
		kws = append(kws, fmt.Sprintf("填充词语%c", '甲'+rune(i)))
	}
	upsert(t, ix, published("long", "某事项", append(kws, "营业执照遗失")...), published("other", "无关事项", "营业", "执照遗失"))
	got := find(t, ix, "营业执照遗失")
	if len(got) == 0 || got[0] != "long" {
		t.Fatalf("search 营业执照遗失 = %v, want long first (its keyword is past 64 positions)", got)
	}
}

func TestIndex_LoneCharacterAndLatinWords(t *testing.T) {
	ix := embedded.New()
	upsert(t, ix, published("etc", "ETC电子不停车收费卡办理"), published("tax", "个人所得税汇算"), published("x", "其他事项"))
	if got := find(t, ix, "etc"); len(got) == 0 || got[0] != "etc" {
		t.Errorf("search etc = %v, want etc first (case folded)", got)
	}
	if got := find(t, ix, "税"); !slices.Contains(got, "tax") || slices.Contains(got, "x") {
		t.Errorf("search 税 = %v, want tax and not x", got)
	}
}

// Replacing and deleting many guides compacts the postings; what is left
// is found exactly as before, and nothing dead comes back.
func TestIndex_CompactionKeepsTheLive(t *testing.T) {
	ix := embedded.New()
	var guides []knowledge.Guide
	for i := range 3000 {
		guides = append(guides, published(fmt.Sprintf("g-%04d", i), fmt.Sprintf("居住证签注%d", i)))
	}
	upsert(t, ix, guides...)
	for round := range 3 { // each round retires every guide once: compaction runs
		for i := range guides {
			guides[i].Version = round + 2
			guides[i].Name = fmt.Sprintf("护照签发%d轮%d", i, round)
		}
		upsert(t, ix, guides...)
	}
	var gone []string
	for i := range 1000 {
		gone = append(gone, guides[i].Code)
	}
	if err := ix.Delete(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, "居住证"); len(got) != 0 {
		t.Errorf("search 居住证 = %d hits, want none: every such name was replaced", len(got))
	}
	p, err := analyzer.Analyze(knowledge.Query{Text: "护照", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	hits, total, err := ix.Search(context.Background(), p)
	if err != nil || total != 2000 || len(hits) != 10 {
		t.Fatalf("search 护照: %d hits, total %d, %v; want 10 of 2000", len(hits), total, err)
	}
	versions, err := ix.Versions(context.Background())
	if err != nil || len(versions) != 2000 || versions["g-2999"] != 4 {
		t.Errorf("versions: %d guides, g-2999 at %d (%v); want 2000, version 4", len(versions), versions["g-2999"], err)
	}
	if got := find(t, ix, "护照签发2999轮2"); len(got) == 0 || got[0] != "g-2999" {
		t.Errorf("search 护照签发2999轮2 = %v, want g-2999 first", got)
	}
}

// Searches run while guides are written; every search sees either the
// old or the new version of a guide, never both or neither.
func TestIndex_SearchesDuringWrites(t *testing.T) {
	ix := embedded.New()
	upsert(t, ix, published("a", "公积金提取"), published("b", "公积金贷款"))
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if got := find(t, ix, "公积金"); len(got) != 2 {
					t.Errorf("search 公积金 during writes = %v, want both guides", got)
					return
				}
			}
		})
	}
	for i := range 300 {
		g := published("a", fmt.Sprintf("公积金提取第%d版", i))
		g.Version = i + 2
		upsert(t, ix, g)
	}
	close(done)
	wg.Wait()
}

func TestIndex_ClosedAnswersUnavailable(t *testing.T) {
	ix := embedded.New()
	upsert(t, ix, published("a", "公积金提取"))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := analyzer.Analyze(knowledge.Query{Text: "公积金"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ix.Search(context.Background(), p); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("search after close: %v, want unavailable", err)
	}
	if err := ix.Upsert(context.Background(), []knowledge.Guide{published("b", "护照")}); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("upsert after close: %v, want unavailable", err)
	}
	if _, err := ix.Versions(context.Background()); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("versions after close: %v, want unavailable", err)
	}
}

// Hostile text indexes and searches without harm: control characters,
// invalid UTF-8, emoji, combining marks, scripts without case, huge runs.
func TestIndex_HostileText(t *testing.T) {
	ix := embedded.New()
	hostile := []string{"\x00\x01\xff\xfe社保\u200b卡", strings.Repeat("社", 10000), "😀🎉👍🏽", "e\u0301\u0301\u0301",
		"ÅΩЖ𝔘𝕏", "<script>alert(1)</script>", strings.Repeat("a", 5000) + "公积金", "\u3000\u3000公\u3000积金"}
	for i, text := range hostile {
		g := published(fmt.Sprintf("h-%d", i), text, text)
		g.Process = text
		upsert(t, ix, g)
	}
	for _, text := range append(hostile, "社保卡", "公积金", "社社社社社社社社") {
		p, err := analyzer.Analyze(knowledge.Query{Text: text})
		if err != nil {
			continue // refused before the index: too long or invalid
		}
		if _, _, err := ix.Search(context.Background(), p); err != nil {
			t.Errorf("search %q: %v", text, err)
		}
	}
	if got := find(t, ix, "社社社社社社社社"); len(got) == 0 || got[0] != "h-1" {
		t.Errorf("search of a repeated character = %v, want h-1", got)
	}
}

// At most so many searches run at once; one waiting for a slot gives up
// when its context ends, answering unavailable.
func TestIndex_WaitingSearchHonoursItsDeadline(t *testing.T) {
	ix := embedded.New()
	upsert(t, ix, published("a", "公积金提取"))
	p, err := analyzer.Analyze(knowledge.Query{Text: "公积金"})
	if err != nil {
		t.Fatal(err)
	}
	release := embedded.TakeAllSlots(ix)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := ix.Search(ctx, p); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("search with every slot taken: %v, want unavailable", err)
	}
	release()
	if got := find(t, ix, "公积金"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("search once slots are free = %v, want [a]", got)
	}
}

// The districts' guides of one matter (codes sharing the part before the
// first '.') do not fill the page: each further one ranks at half the
// score of the one before, so another matter scoring about as well comes
// second.
func TestIndex_OneMatterDoesNotFillThePage(t *testing.T) {
	ix := embedded.New()
	var guides []knowledge.Guide
	for _, district := range []string{"", ".tianhe", ".yuexiu", ".haizhu", ".baiyun"} {
		guides = append(guides, published("rsj-006"+district, "社会保障卡申领"))
	}
	other := published("rsj-009", "就业登记")
	other.Scope = "持社会保障卡办理" // a matter of its own that mentions the card
	upsert(t, ix, append(guides, published("rsj-007", "社会保障卡补换"), other, published("gaj-001", "居民身份证申领"))...)
	got := find(t, ix, "社会保障卡")
	if len(got) != 7 || matterOf(got[0]) != "rsj-006" || got[1] != "rsj-007" {
		t.Fatalf("search 社会保障卡 = %v, want one rsj-006 guide, then rsj-007, then the other districts'", got)
	}
	p, err := analyzer.Analyze(knowledge.Query{Text: "社会保障卡"})
	if err != nil {
		t.Fatal(err)
	}
	hits, _, err := ix.Search(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var family []float64
	for i, h := range hits {
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("hit %d (%s) scores %.3f, above the hit before it", i, h.Guide.Code, h.Score)
		}
		if matterOf(h.Guide.Code) == "rsj-006" {
			family = append(family, h.Score)
		}
	}
	for i := 1; i < len(family); i++ {
		if diff := family[i] - family[i-1]/2; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("rsj-006 guides score %v: each further one should score half the one before", family)
			break
		}
	}
}

func matterOf(code string) string { m, _, _ := strings.Cut(code, "."); return m }
