package webchat

import (
	"fmt"
	"strings"
	"time"
)

// TranscriptText writes a chat's transcript as plain text, one line per
// message: the local date and time, who wrote it, and the text passed
// through mask (which hides personal data such as phone and ID numbers
// before the text leaves the hotline). A message that shows an image
// names it by imageName(ref); the bot's answers list their guides.
func TranscriptText(c Chat, ms []Message, loc *time.Location, mask func(string) string, imageName func(ref string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "12345 热线在线会话记录\n会话编号：%d\n开始时间：%s\n", c.ID, c.StartedAt.In(loc).Format(time.DateTime))
	if c.EndedAt != nil {
		fmt.Fprintf(&b, "结束时间：%s\n", c.EndedAt.In(loc).Format(time.DateTime))
	}
	if c.Agent != "" {
		fmt.Fprintf(&b, "接待坐席：%s\n", c.Agent)
	}
	b.WriteString("\n")
	for _, m := range ms {
		text := oneLine(mask(m.Text))
		if m.Attachment != "" {
			text = "[图片：" + imageName(m.Attachment) + "]"
		}
		if len(m.Guides) > 0 {
			names := make([]string, len(m.Guides))
			for i, g := range m.Guides {
				names[i] = g.Name
			}
			text += "（" + strings.Join(names, "；") + "）"
		}
		fmt.Fprintf(&b, "%s %s：%s\n", m.At.In(loc).Format(time.DateTime), speaker(m), text)
	}
	return b.String()
}

// speaker names who wrote a message, as the transcript shows it.
func speaker(m Message) string {
	switch m.From {
	case FromCitizen:
		return "市民"
	case FromBot:
		return "智能助手"
	case FromAgent:
		return "坐席 " + m.Agent
	}
	return "系统"
}

// oneLine keeps a message on its line: line breaks become spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)), " ")
}
