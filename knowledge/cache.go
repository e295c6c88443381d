package knowledge

import (
	"container/list"
	"strings"
	"sync"
)

// Generational is implemented by searchers that count their changes: the
// generation grows whenever a search could answer differently. A result
// cache is only used over such a searcher.
type Generational interface {
	Generation() uint64
}

// resultCache keeps the most recent search results, least recently used
// out first. An entry answers only while the index and the analyzer are
// at the generations it was computed at, so no change is ever hidden:
// a guide saved, deleted or a synonym edited makes every older entry
// miss. Consultation questions repeat heavily (社保卡, 公积金提取), so a
// small cache takes much of a floor's load off the index.
type resultCache struct {
	mu      sync.Mutex
	entries int
	byKey   map[cacheKey]*list.Element
	order   *list.List // of *cacheEntry, most recent first
}

type cacheKey struct {
	text, department, category, statuses string
	limit, offset                        int
}

type cacheEntry struct {
	key          cacheKey
	index, vocab uint64
	result       SearchResult
}

func newResultCache(entries int) *resultCache {
	return &resultCache{entries: entries, byKey: make(map[cacheKey]*list.Element, entries), order: list.New()}
}

func keyOf(q Query) cacheKey {
	var st strings.Builder
	for _, s := range q.Filter.Statuses {
		st.WriteString(string(s))
		st.WriteByte(',')
	}
	return cacheKey{text: q.Text, department: q.Filter.Department, category: q.Filter.Category,
		statuses: st.String(), limit: q.Limit, offset: q.Offset}
}

// get returns the result cached for k at the given generations.
func (c *resultCache) get(k cacheKey, index, vocab uint64) (SearchResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		return SearchResult{}, false
	}
	e := el.Value.(*cacheEntry)
	if e.index != index || e.vocab != vocab {
		c.order.Remove(el)
		delete(c.byKey, k)
		return SearchResult{}, false
	}
	c.order.MoveToFront(el)
	return e.result, true
}

// put stores a result computed at the given generations.
func (c *resultCache) put(k cacheKey, index, vocab uint64, r SearchResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		e := el.Value.(*cacheEntry)
		e.index, e.vocab, e.result = index, vocab, r
		c.order.MoveToFront(el)
		return
	}
	c.byKey[k] = c.order.PushFront(&cacheEntry{key: k, index: index, vocab: vocab, result: r})
	if c.order.Len() > c.entries {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*cacheEntry).key)
	}
}
