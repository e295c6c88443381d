package citizenweb

import (
	"html/template"
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// guidePage is a published guide as a page citizens open from the chat
// bot's answers. html/template escapes every field.
var guidePage = template.Must(template.New("guide").Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}} · 办事指南 · 12345 热线</title>
<link rel="stylesheet" href="/citizen/citizen.css">
</head>
<body>
<a class="skip" href="#main">跳到主要内容</a>
<header><h1>{{.Name}}</h1><p>办事指南 · 事项编码 {{.Code}}</p></header>
<main id="main" tabindex="-1">
<section class="card">
<dl class="facts">
{{with .Scope}}<dt>受理范围</dt><dd>{{.}}</dd>{{end}}
{{with .Conditions}}<dt>受理条件</dt><dd>{{.}}</dd>{{end}}
{{with .TimeLimit}}<dt>办理时限</dt><dd>{{.}}</dd>{{end}}
{{with .Fee}}<dt>收费</dt><dd>{{.}}</dd>{{end}}
{{with .Location}}<dt>办理地点</dt><dd>{{.}}</dd>{{end}}
{{with .Hours}}<dt>办理时间</dt><dd>{{.}}</dd>{{end}}
{{with .Phone}}<dt>咨询电话</dt><dd>{{.}}</dd>{{end}}
</dl>
</section>
{{with .Materials}}<section class="card"><h2>申请材料</h2><ol>{{range .}}<li>{{.Name}}{{with .Form}}（{{.}}）{{end}} ×{{.Copies}}</li>{{end}}</ol></section>{{end}}
{{with .Process}}<section class="card"><h2>办理流程</h2><p class="reply">{{.}}</p></section>{{end}}
{{with .LegalBasis}}<section class="card"><h2>法律依据</h2><p class="reply">{{.}}</p></section>{{end}}
{{with .OnlineURL}}<p><a href="{{.}}" rel="noopener noreferrer">网上办理</a></p>{{end}}
</main>
<footer>政务服务便民热线 12345 · <a href="/chat">在线咨询</a> · <a href="/submit">网上提交诉求</a></footer>
</body>
</html>
`))

// showGuidePage serves GET /guides/{code}: a published guide, or 404 for
// any other (a draft is as unknown as a code that never existed).
func (s *Server) showGuidePage(w http.ResponseWriter, r *http.Request) error {
	g, err := s.guides.Get(r.Context(), auth.Actor{}, r.PathValue("code"))
	if err == nil && g.Status != knowledge.StatusPublished {
		err = errs.E(errs.NotFound, "no guide %s", g.Code)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", citizenCSP)
	return guidePage.Execute(w, g)
}
