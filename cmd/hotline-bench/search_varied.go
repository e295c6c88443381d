package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
)

// variedSeed fixes the less repetitive set: every run indexes the same
// guides.
const variedSeed = 12345

// districtStreets are street offices of each district in variantPlaces.
var districtStreets = map[string][]string{
	"天河区": {"石牌", "林和", "沙河", "五山", "员村", "车陂", "棠下", "天园"},
	"越秀区": {"北京", "东山", "农林", "梅花村", "黄花岗", "大塘"},
	"海珠区": {"赤岗", "新港", "滨江", "江南中", "琶洲", "南华西"},
	"白云区": {"三元里", "松洲", "景泰", "同和", "京溪", "永平"},
	"番禺区": {"市桥", "沙头", "东环", "桥南", "小谷围", "大石"},
	"黄埔区": {"黄埔", "红山", "鱼珠", "文冲", "大沙", "萝岗"},
	"花都区": {"新华", "新雅", "秀全", "花城"},
	"南沙区": {"南沙", "珠江", "龙穴"},
	"从化区": {"街口", "江埔", "城郊"},
	"增城区": {"荔城", "增江", "朱村", "永宁"},
	"荔湾区": {"沙面", "多宝", "逢源", "华林", "冲口", "白鹤洞"},
}

// roads are where the generated service centres stand.
var roads = []string{"府前路", "建设路", "人民路", "文化路", "政通路", "迎宾大道", "环城路", "中心路", "广园路", "新城大道"}

// equivalents are pairs of phrases, the city's and one a district's
// catalogue may use instead (办理 and 受理 either way). No replacement
// contains its own phrase, so a replaced text reads as written by hand.
var equivalents = []string{
	"办理", "受理", "受理", "办理",
	"申请人", "当事人",
	"携带", "提交",
	"提供", "出具",
	"可以", "可",
	"线上", "网上",
	"前往", "到",
	"居民身份证", "有效身份证件",
}

// wordingFor returns a district's wording: a strings.Replacer of a
// random subset of the equivalents' pairs.
func wordingFor(r *rand.Rand) *strings.Replacer {
	var args []string
	for p := 0; p < len(equivalents); p += 2 {
		if r.IntN(2) == 0 {
			args = append(args, equivalents[p:p+2]...)
		}
	}
	return strings.NewReplacer(args...)
}

// reworded is a guide's long texts in one district's wording.
type reworded struct {
	scope, conditions, process string
	materials                  []string
}

// reword puts g's long texts and material names into wording w.
func reword(g *knowledge.Guide, w *strings.Replacer) reworded {
	out := reworded{scope: w.Replace(g.Scope), conditions: w.Replace(g.Conditions), process: w.Replace(g.Process)}
	for _, m := range g.Materials {
		out.materials = append(out.materials, w.Replace(m.Name))
	}
	return out
}

// hoursForms are the opening hours the districts post.
var hoursForms = []string{
	"工作日上午9:00-12:00，下午13:00-17:00（法定节假日除外）",
	"周一至周五 8:30-12:00、14:00-17:30",
	"周一至周六9:00-17:00（周六仅受理预约业务）",
	"工作日9:00-18:00，中午不休息",
}

// district is where one variant is offered: a street office of a
// district, with its address and telephone.
type district struct {
	place, street, road         string
	number, floor, window, line int
	walk                        int
	exit                        string
	phone                       string
}

// newDistrict draws a street office of place, its address and telephone.
func newDistrict(r *rand.Rand, place string) district {
	streets := districtStreets[place]
	return district{place: place, street: streets[r.IntN(len(streets))], road: roads[r.IntN(len(roads))],
		number: 1 + r.IntN(300), floor: 1 + r.IntN(5), window: 1 + r.IntN(40), line: 1 + r.IntN(22),
		walk: 2 + r.IntN(12), exit: string(rune('A' + r.IntN(6))),
		phone: fmt.Sprintf("020-%c%07d", "238"[r.IntN(3)], r.IntN(10_000_000))}
}

// office is the street's service centre, centre the district's.
func (d district) office() string { return d.place + d.street + "街道便民服务中心" }
func (d district) centre() string { return d.place + "政务服务中心" }

// address is the district centre's window and the street office.
func (d district) address() string {
	return fmt.Sprintf("%s%s%d号%s%d楼%d号窗口；%s", d.place, d.road, d.number, d.centre(), d.floor, d.window, d.office())
}

// pick returns one of the sentences the district could write, filled in.
func (d district) pick(r *rand.Rand, forms ...func(district) string) string {
	return forms[r.IntN(len(forms))](d)
}

// Sentences the districts add to the city's texts.
var (
	scopeLeads = []func(district) string{
		func(d district) string { return "本指南适用于" + d.place + "行政区域内的申请。" },
		func(d district) string { return "户籍或经常居住地在" + d.place + d.street + "街道的，" },
		func(d district) string { return d.centre() + "及各街道便民服务中心均可受理。" },
		func(district) string { return "" },
	}
	scopeTails = []func(district) string{
		func(d district) string { return "在" + d.place + "范围内可就近到" + d.office() + "办理。" },
		func(d district) string { return "跨区申请的，可向" + d.centre() + "综合窗口提出。" },
		func(d district) string {
			return d.place + "居民可通过“穗好办”预约" + d.street + "街道窗口。"
		},
	}
	conditionTails = []func(district) string{
		func(d district) string { return "在" + d.place + "办理的，还应符合本区的相关规定。" },
		func(d district) string {
			return "委托他人办理的，受托人须同时携带本人身份证件到" + d.office() + "。"
		},
		func(district) string { return "" },
	}
	processNotes = []func(district) string{
		func(d district) string {
			return fmt.Sprintf("温馨提示：%s位于%s%s%d号，可乘坐地铁%d号线至%s站%s出口步行约%d分钟；咨询电话%s。",
				d.centre(), d.place, d.road, d.number, d.line, d.street, d.exit, d.walk, d.phone)
		},
		func(d district) string {
			return fmt.Sprintf("%s设%d号专窗办理本事项，工作日可先电话预约（%s），节假日请通过网上办事大厅提交。", d.office(), d.window, d.phone)
		},
		func(d district) string {
			return fmt.Sprintf("交通指引：%s周边有公交%s站，可乘%d路、%d路公交车到达；停车位紧张，建议公共交通前往。", d.office(), d.street, 10+d.number%90, 100+d.number)
		},
	}
	nameForms = []func(name string, d district) string{
		func(n string, d district) string { return n + "（" + d.place + "）" },
		func(n string, d district) string { return d.place + n },
		func(n string, d district) string { return d.place + d.street + "街道" + n },
		func(n string, d district) string { return n + "（" + d.office() + "）" },
		func(n string, _ district) string { return n },
	}
)

// variedGuides returns n guides: the demo set, then variants worded as
// each district's catalogue words them: rewritten scope, conditions and
// process, district notes (address, window, transport, telephone),
// materials reordered and varied, names in several forms. Codes stay
// "<base code>.v<N>", the districts as in benchGuides; the same seed
// gives the same guides.
func variedGuides(n int) ([]knowledge.Guide, error) {
	base, err := demo.Guides()
	if err != nil {
		return nil, fmt.Errorf("demo guides: %w", err)
	}
	r := rand.New(rand.NewPCG(variedSeed, variedSeed))
	wordings := make([]*strings.Replacer, len(variantPlaces))
	for i := range wordings {
		wordings[i] = wordingFor(r)
	}
	// Each district words a guide once: rewording is the slow part.
	texts := make([]*reworded, len(base)*len(variantPlaces))
	out := make([]knowledge.Guide, 0, n)
	out = append(out, base[:min(n, len(base))]...)
	for i := 0; len(out) < n; i++ {
		b, p := i%len(base), (i/len(base))%len(variantPlaces)
		t := &texts[b*len(variantPlaces)+p]
		if *t == nil {
			w := reword(&base[b], wordings[p])
			*t = &w
		}
		d := newDistrict(r, variantPlaces[p])
		out = append(out, vary(r, base[b], **t, d, fmt.Sprintf("%s.v%d", base[b].Code, i)))
	}
	return out, nil
}

// vary rewrites g as district d offers it, its texts worded as t.
func vary(r *rand.Rand, g knowledge.Guide, t reworded, d district, code string) knowledge.Guide {
	g.Code = code
	g.Name = nameForms[r.IntN(len(nameForms))](g.Name, d)
	g.Scope = d.pick(r, scopeLeads...) + t.scope + d.pick(r, scopeTails...)
	g.Conditions = t.conditions + d.pick(r, conditionTails...)
	g.Process = t.process + d.pick(r, processNotes...)
	g.Materials = varyMaterials(r, g.Materials, t.materials, d)
	g.Location = d.address()
	g.Phone = d.phone
	g.Hours = hoursForms[r.IntN(len(hoursForms))]
	g.Keywords = slices.Clone(g.Keywords)
	r.Shuffle(len(g.Keywords), func(i, j int) { g.Keywords[i], g.Keywords[j] = g.Keywords[j], g.Keywords[i] })
	if len(g.Keywords) > 4 && r.IntN(3) == 0 {
		g.Keywords = g.Keywords[:len(g.Keywords)-1]
	}
	return g
}

// varyMaterials reorders the materials, names them as the district does,
// sometimes asks for copies instead of originals and adds the district's
// form.
func varyMaterials(r *rand.Rand, ms []knowledge.Material, names []string, d district) []knowledge.Material {
	out := make([]knowledge.Material, len(ms), len(ms)+1)
	for i, m := range ms {
		m.Name = names[i]
		if m.Form == "原件" && r.IntN(4) == 0 {
			m.Form, m.Copies = "复印件", 1+r.IntN(2)
		}
		out[i] = m
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if r.IntN(3) == 0 {
		out = append(out, knowledge.Material{Name: d.place + "政务服务事项申请表", Form: "原件", Copies: 1})
	}
	return out
}
