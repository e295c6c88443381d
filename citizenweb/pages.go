package citizenweb

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

//go:embed assets
var assets embed.FS

// citizenCSP lets the citizens' pages load only their own scripts and
// styles, and be framed by nobody.
const citizenCSP = "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// pageRoutes serves the citizens' pages: the web form (/submit), the
// progress lookup (/progress), the chat (/chat) and its widget, the
// guides (/guides/{code}) and their assets (/citizen/).
func (s *Server) pageRoutes(m *http.ServeMux) {
	sub, err := fs.Sub(assets, "assets")
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
	m.Handle("GET /submit", page("submit.html"))
	m.Handle("GET /progress", page("progress.html"))
	chatCSP := chatFrameCSP(s.chatOrigins)
	m.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Del("X-Frame-Options") // the edge's default; the CSP says who may frame the chat
		w.Header().Set("Content-Security-Policy", chatCSP)
		http.ServeFileFS(w, r, sub, "chat.html")
	})
	m.Handle("GET /chat/widget.js", widget(sub))
	m.Handle("GET /guides/{code}", s.citizen(s.showGuidePage))
	m.Handle("GET /citizen/", withCSP(http.StripPrefix("/citizen/", files)))
}

// chatFrameCSP is citizenCSP for the chat page: it may be framed by the
// hotline itself and by the portals of HOTLINE_CHAT_ORIGINS, nobody else.
func chatFrameCSP(origins []string) string {
	ancestors := []string{"'self'"}
	for _, o := range origins {
		if src, ok := cspSource(o); ok {
			ancestors = append(ancestors, src)
		}
	}
	return strings.Replace(citizenCSP, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(ancestors, " "), 1)
}

// cspSource returns an origin as a CSP source expression, or false when
// it holds anything but a scheme, a host and a port (the configuration
// checks origins; this keeps a header from ever carrying more).
func cspSource(origin string) (string, bool) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return "", false
		}
	}
	return u.Scheme + "://" + u.Host, true
}

// widget serves /chat/widget.js, which portals of other origins load
// with a <script> tag: a script any site may fetch, cached briefly so a
// new version reaches the portals within minutes.
func widget(sub fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		h.Set("Cache-Control", "public, max-age=300")
		http.ServeFileFS(w, r, sub, "widget.js")
	})
}
