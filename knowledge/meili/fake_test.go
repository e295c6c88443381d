package meili

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// fakeMeili is an httptest server speaking the parts of Meilisearch's
// HTTP API that the adapter uses, answering as Meilisearch documents:
// asynchronous operations answer 202 with a summarized task, and each
// task is "processing" on its first poll and finished on the next, when
// its change applies. It records every request.
type fakeMeili struct {
	t   *testing.T
	key string
	srv *httptest.Server

	mu          sync.Mutex
	requests    []recorded
	indexes     map[string]string         // uid → primary key
	docs        map[string]map[string]any // document id → document
	synonyms    map[string][]string
	tasks       map[int64]*fakeTask
	nextTask    int64
	failNext    *apiError // the next task fails with this error
	stuck       bool      // tasks stay processing
	unavailable bool      // every request answers 503
	hang        bool      // every request waits until the client gives up
}

// recorded is one request the fake received.
type recorded struct {
	Method, Path, Query, Auth string
	Body                      []byte
}

// route is the request's method and path: "POST /indexes".
func (r recorded) route() string { return r.Method + " " + r.Path }

// fakeTask is one Meilisearch task.
type fakeTask struct {
	uid        int64
	index, typ string
	polls      int
	err        *apiError
	apply      func() // the change, made when the task succeeds
}

// apiError is Meilisearch's error object.
type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
}

func newAPIError(code, typ, message string) *apiError {
	return &apiError{Message: message, Code: code, Type: typ, Link: "https://docs.meilisearch.com/errors#" + code}
}

const fakeTime = "2026-05-06T09:00:00.000000Z"

// newFake starts a fake Meilisearch that requires the API key key.
func newFake(t *testing.T, key string) *fakeMeili {
	t.Helper()
	f := &fakeMeili{t: t, key: key, indexes: map[string]string{}, docs: map[string]map[string]any{},
		tasks: map[int64]*fakeTask{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /indexes/{uid}", f.getIndex)
	mux.HandleFunc("POST /indexes", f.createIndex)
	mux.HandleFunc("PATCH /indexes/{uid}/settings", f.updateSettings)
	mux.HandleFunc("PUT /indexes/{uid}/settings/synonyms", f.updateSynonyms)
	mux.HandleFunc("POST /indexes/{uid}/documents", f.addDocuments)
	mux.HandleFunc("POST /indexes/{uid}/documents/delete-batch", f.deleteDocuments)
	mux.HandleFunc("POST /indexes/{uid}/documents/fetch", f.fetchDocuments)
	mux.HandleFunc("POST /indexes/{uid}/search", f.search)
	mux.HandleFunc("GET /tasks/{uid}", f.getTask)
	f.srv = httptest.NewServer(f.front(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// front records the request, answers 503 when unavailable and checks the
// API key as Meilisearch does.
func (f *fakeMeili) front(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			f.t.Errorf("read request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), Body: body})
		unavailable, hang := f.unavailable, f.hang
		f.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		switch auth := r.Header.Get("Authorization"); {
		case unavailable:
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		case auth == "":
			writeJSON(w, http.StatusUnauthorized, newAPIError("missing_authorization_header", "auth",
				"The Authorization header is missing. It must use the bearer authorization method."))
		case auth != "Bearer "+f.key:
			writeJSON(w, http.StatusForbidden, newAPIError("invalid_api_key", "auth", "The provided API key is invalid."))
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(err)
	}
}

// decode reads the JSON request body into v, answering 400 on failure.
func (f *fakeMeili) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.t.Errorf("%s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		writeJSON(w, http.StatusBadRequest, newAPIError("bad_request", "invalid_request", err.Error()))
		return false
	}
	return true
}

// enqueue registers a task and answers with its summary. Call with mu held.
func (f *fakeMeili) enqueue(w http.ResponseWriter, index, typ string, apply func()) {
	f.nextTask++
	task := &fakeTask{uid: f.nextTask, index: index, typ: typ, apply: apply, err: f.failNext}
	f.failNext = nil
	f.tasks[task.uid] = task
	writeJSON(w, http.StatusAccepted, map[string]any{"taskUid": task.uid, "indexUid": index,
		"status": "enqueued", "type": typ, "enqueuedAt": fakeTime})
}

func (f *fakeMeili) getTask(w http.ResponseWriter, r *http.Request) {
	uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	task := f.tasks[uid]
	if err != nil || task == nil {
		writeJSON(w, http.StatusNotFound, newAPIError("task_not_found", "invalid_request",
			fmt.Sprintf("Task `%s` not found.", r.PathValue("uid"))))
		return
	}
	task.polls++
	resp := map[string]any{"uid": task.uid, "batchUid": task.uid, "indexUid": task.index, "type": task.typ,
		"canceledBy": nil, "details": map[string]any{}, "error": nil, "enqueuedAt": fakeTime,
		"startedAt": fakeTime, "duration": nil, "finishedAt": nil, "status": "processing"}
	switch {
	case task.polls < 2 || f.stuck:
	case task.err != nil:
		resp["status"], resp["error"], resp["duration"], resp["finishedAt"] = "failed", task.err, "PT0.01S", fakeTime
	default:
		if task.apply != nil {
			task.apply()
			task.apply = nil
		}
		resp["status"], resp["duration"], resp["finishedAt"] = "succeeded", "PT0.01S", fakeTime
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *fakeMeili) getIndex(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	f.mu.Lock()
	defer f.mu.Unlock()
	pk, ok := f.indexes[uid]
	if !ok {
		writeJSON(w, http.StatusNotFound, newAPIError("index_not_found", "invalid_request",
			fmt.Sprintf("Index `%s` not found.", uid)))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uid": uid, "createdAt": fakeTime, "updatedAt": fakeTime, "primaryKey": pk})
}

func (f *fakeMeili) createIndex(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID        string `json:"uid"`
		PrimaryKey string `json:"primaryKey"`
	}
	if !f.decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueue(w, body.UID, "indexCreation", func() { f.indexes[body.UID] = body.PrimaryKey })
}

func (f *fakeMeili) updateSettings(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !f.decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueue(w, r.PathValue("uid"), "settingsUpdate", nil)
}

func (f *fakeMeili) updateSynonyms(w http.ResponseWriter, r *http.Request) {
	var body map[string][]string
	if !f.decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueue(w, r.PathValue("uid"), "settingsUpdate", func() { f.synonyms = body })
}

// documentIDPattern is what Meilisearch accepts as a document id.
var documentIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)

func (f *fakeMeili) addDocuments(w http.ResponseWriter, r *http.Request) {
	var docs []map[string]any
	if !f.decode(w, r, &docs) {
		return
	}
	pk := r.URL.Query().Get("primaryKey")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range docs {
		if id, _ := d[pk].(string); !documentIDPattern.MatchString(id) && f.failNext == nil {
			f.failNext = newAPIError("invalid_document_id", "invalid_request", fmt.Sprintf("Document identifier `%q` is invalid. "+
				"A document identifier can be of type integer or string, only composed of alphanumeric characters "+
				"(a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.", id))
		}
	}
	f.enqueue(w, r.PathValue("uid"), "documentAdditionOrUpdate", func() {
		for _, d := range docs {
			f.docs[d[pk].(string)] = d
		}
	})
}

func (f *fakeMeili) deleteDocuments(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if !f.decode(w, r, &ids) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueue(w, r.PathValue("uid"), "documentDeletion", func() {
		for _, id := range ids {
			delete(f.docs, id)
		}
	})
}

// page returns the stored documents in id order from offset, at most
// limit, with only the given fields (all when none). Call with mu held.
func (f *fakeMeili) page(offset, limit int, fields []string) []map[string]any {
	ids := make([]string, 0, len(f.docs))
	for id := range f.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := []map[string]any{}
	for _, id := range ids[min(offset, len(ids)):min(offset+limit, len(ids))] {
		d := map[string]any{}
		for k, v := range f.docs[id] {
			if len(fields) == 0 || slices.Contains(fields, k) {
				d[k] = v
			}
		}
		out = append(out, d)
	}
	return out
}

func (f *fakeMeili) fetchDocuments(w http.ResponseWriter, r *http.Request) {
	body := struct {
		Offset int      `json:"offset"`
		Limit  int      `json:"limit"`
		Fields []string `json:"fields"`
	}{Limit: 20}
	if !f.decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"results": f.page(body.Offset, body.Limit, body.Fields),
		"offset": body.Offset, "limit": body.Limit, "total": len(f.docs)})
}

// search answers with every stored document, in id order, scored from
// 0.9 down; the adapter's query and filter are checked by the tests.
func (f *fakeMeili) search(w http.ResponseWriter, r *http.Request) {
	body := struct {
		Q                    string   `json:"q"`
		Offset               int      `json:"offset"`
		Limit                int      `json:"limit"`
		AttributesToRetrieve []string `json:"attributesToRetrieve"`
		ShowRankingScore     bool     `json:"showRankingScore"`
	}{Limit: 20}
	if !f.decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if uid := r.PathValue("uid"); f.indexes[uid] == "" {
		writeJSON(w, http.StatusNotFound, newAPIError("index_not_found", "invalid_request",
			fmt.Sprintf("Index `%s` not found.", uid)))
		return
	}
	hits := f.page(body.Offset, body.Limit, body.AttributesToRetrieve)
	for i, h := range hits {
		if body.ShowRankingScore {
			h["_rankingScore"] = 0.9 - 0.1*float64(body.Offset+i)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits, "query": body.Q, "processingTimeMs": 1,
		"limit": body.Limit, "offset": body.Offset, "estimatedTotalHits": len(f.docs)})
}

// recorded returns the requests received so far.
func (f *fakeMeili) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// routes returns "METHOD /path" of every request received so far.
func (f *fakeMeili) routes() []string {
	var out []string
	for _, r := range f.recorded() {
		out = append(out, r.route())
	}
	return out
}

// requestsTo returns the requests received for one route.
func (f *fakeMeili) requestsTo(route string) []recorded {
	var out []recorded
	for _, r := range f.recorded() {
		if r.route() == route {
			out = append(out, r)
		}
	}
	return out
}

// pollsOf returns how often each task was polled, by task uid.
func (f *fakeMeili) pollsOf() map[int64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]int{}
	for uid, t := range f.tasks {
		out[uid] = t.polls
	}
	return out
}

// docCount returns how many documents the index holds.
func (f *fakeMeili) docCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.docs)
}

// set changes the fake's state under its lock.
func (f *fakeMeili) set(change func(f *fakeMeili)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}
