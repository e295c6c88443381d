package agentui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed citizen
var citizenFiles embed.FS

// citizenCSP lets the citizens' pages load only their own scripts and
// styles, and be framed by nobody.
const citizenCSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// citizenRoutes serves the citizens' pages: the web form (/submit), the
// progress lookup (/progress), the chat (/chat) and their assets (/citizen/).
func (s *Server) citizenRoutes() {
	sub, err := fs.Sub(citizenFiles, "citizen")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	files := http.FileServerFS(sub)
	withCSP := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", citizenCSP)
			h.ServeHTTP(w, r)
		})
	}
	page := func(name string) http.Handler {
		return withCSP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, sub, name)
		}))
	}
	s.mux.Handle("GET /submit", page("submit.html"))
	s.mux.Handle("GET /progress", page("progress.html"))
	s.mux.Handle("GET /chat", page("chat.html"))
	s.mux.Handle("GET /guides/{code}", s.citizen(s.showGuidePage))
	s.mux.Handle("GET /citizen/", withCSP(http.StripPrefix("/citizen/", files)))
}
