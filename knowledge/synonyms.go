package knowledge

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
)

// Synonyms maps a term to the terms that mean the same (社保 → 社会保险).
// Each entry is an equivalence: a query for any of its terms also finds
// the others.
type Synonyms map[string][]string

// Limits on the synonym table.
const (
	MaxSynonymEntries      = 5000
	MaxSynonymAlternatives = 20
	MaxSynonymRunes        = 30
)

// Normalize trims and lower-cases every term and drops empty and
// repeated alternatives.
func (s Synonyms) Normalize() Synonyms {
	out := make(Synonyms, len(s))
	for k, vs := range s {
		k = normalizeTerm(k)
		if k == "" {
			continue
		}
		alts := out[k]
		for _, v := range vs {
			if v = normalizeTerm(v); v != "" && v != k && !slices.Contains(alts, v) {
				alts = append(alts, v)
			}
		}
		out[k] = alts
	}
	return out
}

func normalizeTerm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate bounds the table and each term.
func (s Synonyms) Validate() error {
	if len(s) > MaxSynonymEntries {
		return errs.E(errs.Invalid, "at most %d synonym entries", MaxSynonymEntries)
	}
	for k, vs := range s {
		if len(vs) == 0 {
			return errs.E(errs.Invalid, "synonym %q has no alternatives", clip(k, 40))
		}
		if len(vs) > MaxSynonymAlternatives {
			return errs.E(errs.Invalid, "synonym %q has more than %d alternatives", clip(k, 40), MaxSynonymAlternatives)
		}
		for _, t := range append([]string{k}, vs...) {
			if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxSynonymRunes {
				return errs.E(errs.Invalid, "synonym term %q must be valid text of at most %d characters", clip(t, 40), MaxSynonymRunes)
			}
			if strings.ContainsFunc(t, isSeparator) {
				return errs.E(errs.Invalid, "synonym term %q must not contain punctuation or spaces", clip(t, 40))
			}
		}
	}
	return nil
}

// groups returns, for every term, the other terms of its equivalences.
func (s Synonyms) groups() map[string][]string {
	out := map[string][]string{}
	link := func(a, b string) {
		if a != b && !slices.Contains(out[a], b) {
			out[a] = append(out[a], b)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s)) { // in a fixed order, for stable plans
		class := append([]string{k}, s[k]...)
		for _, a := range class {
			for _, b := range class {
				link(a, b)
			}
		}
	}
	return out
}

// DefaultSynonyms is the starting table: the abbreviations and everyday
// words citizens use for the names in the service catalogue.
func DefaultSynonyms() Synonyms {
	return Synonyms{
		"社保":    {"社会保险"},
		"社保卡":   {"社会保障卡"},
		"医保":    {"医疗保险", "医疗保障"},
		"公积金":   {"住房公积金"},
		"上户口":   {"户籍登记", "入户", "落户"},
		"户口":    {"户籍"},
		"身份证":   {"居民身份证"},
		"驾照":    {"驾驶证", "机动车驾驶证"},
		"行驶本":   {"行驶证"},
		"上牌":    {"注册登记", "号牌"},
		"年检":    {"检验合格标志", "年审"},
		"过户":    {"转移登记"},
		"房产证":   {"不动产权证书", "不动产登记"},
		"营业执照":  {"设立登记"},
		"开店":    {"个体工商户", "营业执照"},
		"个税":    {"个人所得税"},
		"低保":    {"最低生活保障"},
		"失业金":   {"失业保险金"},
		"养老金":   {"养老保险待遇", "基本养老金"},
		"退休":    {"养老保险待遇"},
		"结婚证":   {"结婚登记"},
		"领证":    {"结婚登记"},
		"离婚":    {"离婚登记"},
		"准生证":   {"生育登记"},
		"出生证":   {"出生医学证明"},
		"上学":    {"入学"},
		"小升初":   {"初中入学"},
		"护照":    {"普通护照"},
		"港澳通行证": {"往来港澳通行证"},
		"台湾通行证": {"往来台湾通行证"},
		"残疾证":   {"残疾人证"},
		"环评":    {"环境影响评价", "环境影响报告"},
		"施工证":   {"施工许可"},
		"公租房":   {"公共租赁住房"},
		"异地就医":  {"异地就医备案"},
		"报销":    {"零星报销", "费用报销"},
		"工伤":    {"工伤认定"},
		"欠薪":    {"拖欠工资", "讨薪", "劳动报酬", "劳动争议"},
		"居住证":   {"居住登记"},
		"办证":    {"申领"},
		"补办":    {"补领", "补发"},
		"丢了":    {"遗失", "补领"},
		"换证":    {"换领", "换发"},
		"交房":    {"竣工验收"},
		"餐馆":    {"食品经营许可", "餐饮"},
		"开饭店":   {"食品经营许可"},
		"骚扰电话":  {"通信", "骚扰"},
		"老年卡":   {"老年人免费乘车"},
		// Everyday names of permits and what they permit.
		"拉货":  {"货运", "货物运输"},
		"营运证": {"道路运输经营许可"},
		"小卖部": {"食品经营", "食品销售"},
		"歌厅":  {"歌舞厅", "娱乐场所"},
		"挖马路": {"挖掘城市道路", "挖路"},
		"卖期房": {"商品房预售", "期房销售"},
	}
}
