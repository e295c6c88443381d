package demo

import (
	"fmt"

	"github.com/open12345/hotline/ticketing"
)

// District is one of the city's districts the demo data is set in.
type District struct {
	Code string // short code used in department codes: cgj-th
	Name string // region name as tickets and departments carry it: 天河区
}

// Districts returns the districts of the demo city.
func Districts() []District {
	return []District{
		{Code: "th", Name: "天河区"},
		{Code: "yx", Name: "越秀区"},
		{Code: "hz", Name: "海珠区"},
		{Code: "by", Name: "白云区"},
		{Code: "py", Name: "番禺区"},
	}
}

// cityDepartments are the city-wide bodies, each handling its own field.
func cityDepartments() []ticketing.Department {
	return []ticketing.Department{
		{Code: "rsj", Name: "市人力资源和社会保障局"},
		{Code: "zjj", Name: "市住房和城乡建设局"},
		{Code: "scjgj", Name: "市市场监督管理局"},
		{Code: "sthjj", Name: "市生态环境局"},
		{Code: "cgj", Name: "市城市管理和综合执法局"},
		{Code: "jtysj", Name: "市交通运输局"},
		{Code: "wjw", Name: "市卫生健康委员会"},
		{Code: "jyj", Name: "市教育局"},
		{Code: "gaj-hz", Name: "市公安局户政管理处"},
		{Code: "gaj-jj", Name: "市公安局交通警察支队"},
		{Code: "gaj-crj", Name: "市公安局出入境管理支队"},
		{Code: "mzj", Name: "市民政局"},
		{Code: "ybj", Name: "市医疗保障局"},
		{Code: "gjj", Name: "市住房公积金管理中心"},
		{Code: "swjt", Name: "市水务集团"},
		{Code: "gdj", Name: "市供电局"},
		{Code: "rqgs", Name: "市燃气公司"},
		{Code: "zrzyj", Name: "市规划和自然资源局"},
		{Code: "swj", Name: "国家税务总局市税务局"},
		{Code: "wglj", Name: "市文化广电旅游局"},
		{Code: "nyncj", Name: "市农业农村局"},
		{Code: "yjglj", Name: "市应急管理局"},
		{Code: "xfzd", Name: "市消防救援支队"},
		{Code: "tyjrj", Name: "市退役军人事务局"},
		{Code: "sfj", Name: "市司法局"},
		{Code: "shangwj", Name: "市商务局"},
		{Code: "txglj", Name: "省通信管理局"},
		{Code: "lyylj", Name: "市林业和园林局"},
		{Code: "zsj", Name: "市政务服务和数据管理局"},
		{Code: "cl", Name: "市残疾人联合会"},
	}
}

// districtUnit describes the district branches of a city department: the
// name pattern and which districts have one in the demo.
type districtUnit struct {
	parent    string
	prefix    string // before the district name
	suffix    string // after it
	districts []string
}

func districtUnits() []districtUnit {
	all := []string{"th", "yx", "hz", "by", "py"}
	return []districtUnit{
		{parent: "cgj", suffix: "城市管理和综合执法局", districts: all},
		{parent: "scjgj", suffix: "市场监督管理局", districts: all},
		{parent: "jyj", suffix: "教育局", districts: all},
		{parent: "zjj", suffix: "住房和城乡建设局", districts: all},
		{parent: "rsj", suffix: "人力资源和社会保障局", districts: []string{"th", "yx", "by"}},
		{parent: "sthjj", prefix: "市生态环境局", suffix: "分局", districts: []string{"th", "hz", "py"}},
	}
}

// streetOffices lists a few sub-district offices (街道办事处) by district code.
func streetOffices() []struct{ district, code, name string } {
	return []struct{ district, code, name string }{
		{"th", "sp", "石牌街道办事处"},
		{"th", "lh", "林和街道办事处"},
		{"yx", "bj", "北京街道办事处"},
		{"hz", "jnz", "江南中街道办事处"},
		{"by", "jx", "京溪街道办事处"},
		{"py", "sq", "市桥街道办事处"},
	}
}

// Departments returns the demo departments, parents before their
// children: city departments, their district units (Parent and Region
// set), district governments and their street offices.
func Departments() []ticketing.Department {
	districts := map[string]string{}
	for _, d := range Districts() {
		districts[d.Code] = d.Name
	}
	out := cityDepartments()
	for i := range out { // duty office numbers of a made-up exchange, for three-way calls
		out[i].Phone = fmt.Sprintf("020%08d", 83000000+(i+1)*1111)
	}
	for _, u := range districtUnits() {
		for _, code := range u.districts {
			name := districts[code]
			if u.prefix != "" {
				name = u.prefix + trimQu(name)
			}
			out = append(out, ticketing.Department{Code: u.parent + "-" + code, Name: name + u.suffix,
				Parent: u.parent, Region: districts[code]})
		}
	}
	for _, d := range Districts() {
		out = append(out, ticketing.Department{Code: "qzf-" + d.Code, Name: d.Name + "人民政府", Region: d.Name})
	}
	for _, s := range streetOffices() {
		region := districts[s.district]
		out = append(out, ticketing.Department{Code: "jd-" + s.district + "-" + s.code, Name: region + s.name,
			Parent: "qzf-" + s.district, Region: region})
	}
	return out
}

// trimQu drops the trailing 区 of a district name: 天河区 → 天河, as in 市生态环境局天河分局.
func trimQu(name string) string {
	r := []rune(name)
	if len(r) > 1 && r[len(r)-1] == '区' {
		return string(r[:len(r)-1])
	}
	return name
}
