package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// Resident is a generated citizen, the district they live in, and the
// place (their address without the flat) a request is about.
type Resident struct {
	Citizen ticketing.Citizen
	Region  string // 天河区
	Road    string // 体育东路
	Place   string // 天河区体育东路118号翠湖苑
}

// Residents generates plausible citizens deterministically from a seed.
// It is not safe for concurrent use.
type Residents struct {
	rng *rand.Rand
}

// NewResidents returns a generator; the same seed gives the same people.
func NewResidents(seed uint64) *Residents {
	return &Residents{rng: rand.New(rand.NewPCG(seed, seed^0x12345))}
}

const (
	surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡余杜叶程苏魏吕丁沈姚卢钟谭陆范廖邱江" +
		"黎温冼麦伍欧关莫"
	maleChars   = "伟强军磊洋勇杰涛明超华建国志平辉鹏宇浩俊文斌海波家豪子轩嘉伦振东永锋"
	femaleChars = "芳娜敏静丽艳娟霞秀燕玲婷雪慧颖琳欣怡嘉丽晓红美玉桂英淑珍梅凤碧莹"
)

// districtStreets are roads and residential compounds of each district.
func districtStreets() map[string][2][]string {
	return map[string][2][]string{
		"天河区": {{"体育东路", "天河北路", "林和西路", "黄埔大道西", "中山大道西", "车陂路", "棠下二横路", "天河路"},
			{"翠湖苑", "天润花园", "金桂小区", "华庭雅苑", "东圃新村"}},
		"越秀区": {{"北京路", "东风中路", "解放北路", "环市东路", "中山五路", "农林下路", "建设六马路", "惠福东路"},
			{"东湖新村", "榕荫小区", "建设新村", "华侨新村", "大塘小区"}},
		"海珠区": {{"江南大道中", "工业大道北", "新港西路", "昌岗中路", "宝岗大道", "南洲路", "前进路"},
			{"江南新苑", "滨江花园", "赤岗小区", "晓港新村", "南田苑"}},
		"白云区": {{"白云大道北", "机场路", "同和路", "京溪路", "广园中路", "石井大道", "永泰路"},
			{"云景花园", "京溪小区", "同和新村", "金沙洲新社区", "白云新城苑"}},
		"番禺区": {{"大北路", "番禺大道北", "汉溪大道", "市桥繁华路", "南村兴业大道", "钟村汉兴路"},
			{"丽景花园", "祈福小区", "洛溪新城", "德兴苑", "清河新村"}},
	}
}

// idRegions are administrative division codes for the first six digits of
// ID numbers: the districts above, and places many residents come from.
var idRegions = [...]string{"440106", "440104", "440105", "440111", "440113", "440106", "440105",
	"430102", "360102", "450102", "441302", "445202", "510104", "420106", "441581", "440882"}

// mobilePrefixes are mainland mobile number prefixes in use.
var mobilePrefixes = [...]string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "155", "156", "157", "158", "159", "166", "177", "180", "181", "182",
	"183", "185", "186", "187", "188", "189", "198", "199"}

// Next returns a new resident of one of the Districts.
func (g *Residents) Next() Resident {
	districts := Districts()
	region := districts[g.rng.IntN(len(districts))].Name
	streets := districtStreets()[region]
	road := pick(g.rng, streets[0])
	place := fmt.Sprintf("%s%s%d号", region, road, 1+g.rng.IntN(400))
	if g.rng.IntN(4) > 0 {
		place += pick(g.rng, streets[1])
	}
	male := g.rng.IntN(2) == 0
	c := ticketing.Citizen{
		Name:    g.name(male),
		Phone:   g.phone(),
		Address: fmt.Sprintf("%s%d栋%d%02d房", place, 1+g.rng.IntN(12), 1+g.rng.IntN(30), 1+g.rng.IntN(8)),
	}
	if g.rng.IntN(100) < 35 {
		c.IDNumber = g.idNumber(male)
	}
	return Resident{Citizen: c, Region: region, Road: road, Place: place}
}

func (g *Residents) name(male bool) string {
	chars := []rune(femaleChars)
	if male {
		chars = []rune(maleChars)
	}
	s := []rune(surnames)
	var b strings.Builder
	b.WriteRune(s[g.rng.IntN(len(s))])
	n := 2
	if g.rng.IntN(4) == 0 { // a quarter of given names have one character
		n = 1
	}
	for range n {
		b.WriteRune(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

// phone returns a mobile number, or now and then a landline with the
// city's area code (020, eight digits starting with 3 or 8).
func (g *Residents) phone() string {
	if g.rng.IntN(100) < 15 {
		first := "38"[g.rng.IntN(2)]
		return fmt.Sprintf("020-%c%07d", first, g.rng.IntN(10_000_000))
	}
	return fmt.Sprintf("%s%08d", mobilePrefixes[g.rng.IntN(len(mobilePrefixes))], g.rng.IntN(100_000_000))
}

// idNumber returns a valid 18-character resident ID number; the sequence
// digit is odd for men and even for women, as the standard has it.
func (g *Residents) idNumber(male bool) string {
	birth := time.Date(1946, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(58*365))
	seq := g.rng.IntN(500) * 2
	if male {
		seq++
	}
	body := fmt.Sprintf("%s%s%03d", idRegions[g.rng.IntN(len(idRegions))], birth.Format("20060102"), seq)
	return body + string(IDCheckChar(body))
}

// IDCheckChar returns the GB 11643 check character of the first 17 digits
// of a resident ID number: the weighted sum modulo 11 mapped onto
// "10X98765432".
func IDCheckChar(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17 && i < len(first17); i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// pick returns a random element of a non-empty slice.
func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
