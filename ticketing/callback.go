package ticketing

import (
	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// CallbackResult is the citizen's answer at the callback (回访结果): one
// choice, from which the stored score and satisfied follow, so that the
// two never disagree (docs/indicators.md).
type CallbackResult string

// The answers of a callback.
const (
	ResultSatisfied          CallbackResult = "satisfied"           // 满意
	ResultBasicallySatisfied CallbackResult = "basically_satisfied" // 基本满意
	ResultUnsatisfied        CallbackResult = "unsatisfied"         // 不满意
)

// CallbackResults lists the answers, best first.
var CallbackResults = []CallbackResult{ResultSatisfied, ResultBasicallySatisfied, ResultUnsatisfied}

// Score is the satisfaction score (1–5) an answer records when no score
// is given: 满意 5, 基本满意 3, 不满意 1.
func (r CallbackResult) Score() int {
	switch r {
	case ResultSatisfied:
		return 5
	case ResultBasicallySatisfied:
		return 3
	}
	return 1
}

// Satisfied reports whether the answer counts as satisfied for 满意率:
// 满意 and 基本满意 do, 不满意 does not.
func (r CallbackResult) Satisfied() bool { return r != ResultUnsatisfied }

// ResultOf returns the answer a score 1–5 stands for: 4–5 满意, 3 基本满意,
// 1–2 不满意 (the five levels 非常满意 … 非常不满意 folded into three).
func ResultOf(score int) CallbackResult {
	switch {
	case score >= 4:
		return ResultSatisfied
	case score == 3:
		return ResultBasicallySatisfied
	}
	return ResultUnsatisfied
}

// ParseCallbackResult returns the named answer. Errors: invalid.
func ParseCallbackResult(s string) (CallbackResult, error) {
	for _, r := range CallbackResults {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.E(errs.Invalid, "result must be satisfied, basically_satisfied or unsatisfied")
}

// callback records the citizen's answer: result alone, or satisfaction
// with satisfied (the older form of the same fact); whatever is given
// must agree.
func callback(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	res, score, err := callbackVerdict(req)
	if err != nil {
		return nil, err
	}
	n, err := text("note", req.Note, false, 2000)
	if err != nil {
		return nil, err
	}
	satisfied := res.Satisfied()
	t.Satisfaction, t.Satisfied, t.CallbackAt = ptr(score), ptr(satisfied), ptr(env.Now)
	return map[string]any{"result": res, "satisfaction": score, "satisfied": satisfied, "note": n}, nil
}

// callbackVerdict reads the answer and the score of a callback request.
// Errors: invalid (an unknown result, a score out of 1–5, a missing
// field, or fields that disagree).
func callbackVerdict(req Request) (CallbackResult, int, error) {
	if req.Satisfaction != 0 && (req.Satisfaction < 1 || req.Satisfaction > 5) {
		return "", 0, errs.E(errs.Invalid, "satisfaction must be 1-5")
	}
	if req.Result == "" {
		if req.Satisfaction == 0 {
			return "", 0, errs.E(errs.Invalid, "result (or satisfaction 1-5 with satisfied) is required")
		}
		if req.Satisfied == nil {
			return "", 0, errs.E(errs.Invalid, "satisfied (true or false) is required with satisfaction")
		}
		res := ResultOf(req.Satisfaction)
		if *req.Satisfied != res.Satisfied() {
			return "", 0, errs.E(errs.Invalid, "satisfaction %d and satisfied %t disagree: a score of 3-5 is satisfied, 1-2 is not",
				req.Satisfaction, *req.Satisfied)
		}
		return res, req.Satisfaction, nil
	}
	res, err := ParseCallbackResult(string(req.Result))
	if err != nil {
		return "", 0, err
	}
	score := res.Score()
	if req.Satisfaction != 0 {
		if ResultOf(req.Satisfaction) != res {
			return "", 0, errs.E(errs.Invalid, "satisfaction %d and result %s disagree: %s is a score of %s",
				req.Satisfaction, res, res, scoreBand(res))
		}
		score = req.Satisfaction
	}
	if req.Satisfied != nil && *req.Satisfied != res.Satisfied() {
		return "", 0, errs.E(errs.Invalid, "satisfied %t and result %s disagree", *req.Satisfied, res)
	}
	return res, score, nil
}

// scoreBand names the scores that stand for an answer, for messages.
func scoreBand(r CallbackResult) string {
	switch r {
	case ResultSatisfied:
		return "4-5"
	case ResultBasicallySatisfied:
		return "3"
	}
	return "1-2"
}
