package builtin

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Clinical calculators: published formulas, each cited in its description.
// They are arithmetic aids for tasks, not medical advice.

func sexParam() string {
	return `{"type": "string", "enum": ["female", "male"], "description": "Sex, as the formula defines it."}`
}

func bmiCategory(bmi float64) string {
	switch {
	case bmi < 18.5:
		return "underweight"
	case bmi < 25:
		return "normal weight"
	case bmi < 30:
		return "overweight"
	case bmi < 35:
		return "obesity class I"
	case bmi < 40:
		return "obesity class II"
	}
	return "obesity class III"
}

// egfrCKDEPI2021 is the race-free CKD-EPI creatinine equation (Inker et al., NEJM 2021).
func egfrCKDEPI2021(scr, age float64, female bool) float64 {
	kappa, alpha, factor := 0.9, -0.302, 1.0
	if female {
		kappa, alpha, factor = 0.7, -0.241, 1.012
	}
	r := scr / kappa
	return 142 * math.Pow(math.Min(r, 1), alpha) * math.Pow(math.Max(r, 1), -1.200) * math.Pow(0.9938, age) * factor
}

func ckdStage(egfr float64) string {
	switch {
	case egfr >= 90:
		return "G1"
	case egfr >= 60:
		return "G2"
	case egfr >= 45:
		return "G3a"
	case egfr >= 30:
		return "G3b"
	case egfr >= 15:
		return "G4"
	}
	return "G5"
}

// labFactors converts mg/dL to SI units (mmol/L, or µmol/L for creatinine).
var labFactors = map[string]struct {
	factor float64
	siUnit string
}{
	"glucose":       {1 / 18.016, "mmol/L"}, // molar mass 180.16 g/mol
	"cholesterol":   {1 / 38.67, "mmol/L"},  // molar mass 386.65 g/mol
	"triglycerides": {1 / 88.57, "mmol/L"},  // as triolein, 885.7 g/mol
	"creatinine":    {88.42, "µmol/L"},      // molar mass 113.12 g/mol
	"urea_nitrogen": {0.357, "mmol/L"},      // BUN, 2 × 14.007 g/mol of N per urea
	"calcium":       {0.2495, "mmol/L"},     // 40.08 g/mol
}

func clinicalDefinitions() []definition {
	num := func(desc string) string {
		return fmt.Sprintf(`{"type": "number", "exclusiveMinimum": 0, "description": %q}`, desc)
	}
	return []definition{
		{
			id:          "medical.clinical_calc.clinical_bmi",
			description: "Body mass index = weight / height² (kg/m²) and its WHO adult category.",
			params:      `{"type": "object", "required": ["weight_kg", "height_cm"], "additionalProperties": false, "properties": {"weight_kg": ` + num("Weight in kilograms.") + `, "height_cm": ` + num("Height in centimetres.") + `}}`,
			run: typed(func(a struct {
				W float64 `json:"weight_kg"`
				H float64 `json:"height_cm"`
			}) (any, error) {
				bmi := a.W / math.Pow(a.H/100, 2)
				return map[string]any{"bmi": bmi, "category": bmiCategory(bmi), "unit": "kg/m²"}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_bsa",
			description: "Body surface area in m²: Mosteller √(h·w/3600) (default), Du Bois 0.007184·w^0.425·h^0.725, or Haycock 0.024265·w^0.5378·h^0.3964 (w in kg, h in cm).",
			params: `{"type": "object", "required": ["weight_kg", "height_cm"], "additionalProperties": false, "properties": {"weight_kg": ` + num("Weight in kilograms.") + `, "height_cm": ` + num("Height in centimetres.") + `,
				"formula": {"type": "string", "enum": ["mosteller", "dubois", "haycock"], "default": "mosteller"}}}`,
			run: typed(func(a struct {
				W       float64 `json:"weight_kg"`
				H       float64 `json:"height_cm"`
				Formula string  `json:"formula"`
			}) (any, error) {
				var bsa float64
				switch a.Formula {
				case "", "mosteller":
					bsa = math.Sqrt(a.H * a.W / 3600)
				case "dubois":
					bsa = 0.007184 * math.Pow(a.W, 0.425) * math.Pow(a.H, 0.725)
				case "haycock":
					bsa = 0.024265 * math.Pow(a.W, 0.5378) * math.Pow(a.H, 0.3964)
				default:
					return nil, fmt.Errorf("unknown formula %q", a.Formula)
				}
				return map[string]any{"bsa_m2": bsa, "formula": strings.ToLower(defaultStr(a.Formula, "mosteller"))}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_egfr",
			description: "Estimated GFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation (Inker et al., N Engl J Med 2021), with the KDIGO G stage.",
			params: `{"type": "object", "required": ["creatinine_mg_dl", "age", "sex"], "additionalProperties": false, "properties": {
				"creatinine_mg_dl": ` + num("Serum creatinine in mg/dL.") + `, "age": {"type": "number", "minimum": 18, "maximum": 120, "description": "Age in years (adults)."}, "sex": ` + sexParam() + `}}`,
			run: typed(func(a struct {
				Scr float64 `json:"creatinine_mg_dl"`
				Age float64 `json:"age"`
				Sex string  `json:"sex"`
			}) (any, error) {
				e := egfrCKDEPI2021(a.Scr, a.Age, a.Sex == "female")
				return map[string]any{"egfr": e, "unit": "mL/min/1.73 m²", "ckd_stage": ckdStage(e)}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_creatinine_clearance",
			description: "Creatinine clearance by Cockcroft–Gault (1976): (140 − age) × weight / (72 × serum creatinine), × 0.85 for females (mL/min).",
			params: `{"type": "object", "required": ["creatinine_mg_dl", "age", "weight_kg", "sex"], "additionalProperties": false, "properties": {
				"creatinine_mg_dl": ` + num("Serum creatinine in mg/dL.") + `, "age": {"type": "number", "minimum": 1, "maximum": 120}, "weight_kg": ` + num("Weight in kilograms.") + `, "sex": ` + sexParam() + `}}`,
			run: typed(func(a struct {
				Scr float64 `json:"creatinine_mg_dl"`
				Age float64 `json:"age"`
				W   float64 `json:"weight_kg"`
				Sex string  `json:"sex"`
			}) (any, error) {
				c := (140 - a.Age) * a.W / (72 * a.Scr)
				if a.Sex == "female" {
					c *= 0.85
				}
				return map[string]any{"creatinine_clearance": c, "unit": "mL/min"}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_qtc",
			description: "Heart-rate-corrected QT interval (ms) by Bazett QT/√RR, Fridericia QT/∛RR and Framingham QT + 154·(1 − RR), RR in seconds from the heart rate.",
			params: `{"type": "object", "required": ["qt_ms", "heart_rate"], "additionalProperties": false, "properties": {
				"qt_ms": ` + num("Measured QT interval in milliseconds.") + `, "heart_rate": ` + num("Heart rate in beats per minute.") + `}}`,
			run: typed(func(a struct {
				QT float64 `json:"qt_ms"`
				HR float64 `json:"heart_rate"`
			}) (any, error) {
				rr := 60 / a.HR
				return map[string]any{"rr_seconds": rr, "bazett": a.QT / math.Sqrt(rr), "fridericia": a.QT / math.Cbrt(rr), "framingham": a.QT + 154*(1-rr)}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_mean_arterial_pressure",
			description: "Mean arterial pressure ≈ diastolic + (systolic − diastolic)/3 (mmHg), and the pulse pressure.",
			params: `{"type": "object", "required": ["systolic", "diastolic"], "additionalProperties": false, "properties": {
				"systolic": ` + num("Systolic pressure in mmHg.") + `, "diastolic": ` + num("Diastolic pressure in mmHg.") + `}}`,
			run: typed(func(a struct {
				S float64 `json:"systolic"`
				D float64 `json:"diastolic"`
			}) (any, error) {
				return map[string]any{"map": a.D + (a.S-a.D)/3, "pulse_pressure": a.S - a.D, "unit": "mmHg"}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_anion_gap",
			description: "Serum anion gap = Na − (Cl + HCO3) in mEq/L, or with potassium Na + K − (Cl + HCO3) when K is given.",
			params: `{"type": "object", "required": ["sodium", "chloride", "bicarbonate"], "additionalProperties": false, "properties": {
				"sodium": ` + num("Na in mEq/L.") + `, "chloride": ` + num("Cl in mEq/L.") + `, "bicarbonate": ` + num("HCO3 in mEq/L.") + `, "potassium": ` + num("K in mEq/L (optional).") + `}}`,
			run: typed(func(a struct {
				Na float64  `json:"sodium"`
				Cl float64  `json:"chloride"`
				HC float64  `json:"bicarbonate"`
				K  *float64 `json:"potassium"`
			}) (any, error) {
				gap := a.Na - (a.Cl + a.HC)
				out := map[string]any{"anion_gap": gap, "unit": "mEq/L"}
				if a.K != nil {
					out["anion_gap_with_potassium"] = gap + *a.K
				}
				return out, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_corrected_calcium",
			description: "Albumin-corrected calcium (Payne 1973): measured Ca + 0.8 × (4.0 − albumin), in mg/dL with albumin in g/dL.",
			params: `{"type": "object", "required": ["calcium_mg_dl", "albumin_g_dl"], "additionalProperties": false, "properties": {
				"calcium_mg_dl": ` + num("Total serum calcium in mg/dL.") + `, "albumin_g_dl": ` + num("Serum albumin in g/dL.") + `}}`,
			run: typed(func(a struct {
				Ca  float64 `json:"calcium_mg_dl"`
				Alb float64 `json:"albumin_g_dl"`
			}) (any, error) {
				return map[string]any{"corrected_calcium": a.Ca + 0.8*(4-a.Alb), "unit": "mg/dL"}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_ideal_body_weight",
			description: "Ideal body weight by Devine (1974): 50 kg (male) or 45.5 kg (female) + 2.3 kg per inch of height over 5 feet.",
			params:      `{"type": "object", "required": ["height_cm", "sex"], "additionalProperties": false, "properties": {"height_cm": ` + num("Height in centimetres.") + `, "sex": ` + sexParam() + `}}`,
			run: typed(func(a struct {
				H   float64 `json:"height_cm"`
				Sex string  `json:"sex"`
			}) (any, error) {
				base := 50.0
				if a.Sex == "female" {
					base = 45.5
				}
				inches := a.H / 2.54
				return map[string]any{"ideal_body_weight_kg": base + 2.3*(inches-60), "height_inches": inches}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_bmr",
			description: "Basal metabolic rate by Mifflin–St Jeor (1990): 10·weight + 6.25·height − 5·age + 5 (male) or − 161 (female), kcal/day.",
			params: `{"type": "object", "required": ["weight_kg", "height_cm", "age", "sex"], "additionalProperties": false, "properties": {
				"weight_kg": ` + num("Weight in kilograms.") + `, "height_cm": ` + num("Height in centimetres.") + `, "age": {"type": "number", "minimum": 0, "maximum": 120}, "sex": ` + sexParam() + `}}`,
			run: typed(func(a struct {
				W   float64 `json:"weight_kg"`
				H   float64 `json:"height_cm"`
				Age float64 `json:"age"`
				Sex string  `json:"sex"`
			}) (any, error) {
				b := 10*a.W + 6.25*a.H - 5*a.Age + 5
				if a.Sex == "female" {
					b = 10*a.W + 6.25*a.H - 5*a.Age - 161
				}
				return map[string]any{"bmr_kcal_per_day": b}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_due_date",
			description: "Estimated due date by Naegele's rule (first day of the last menstrual period + 280 days), and the gestational age on a given date.",
			params: `{"type": "object", "required": ["last_menstrual_period"], "additionalProperties": false, "properties": {
				"last_menstrual_period": {"type": "string", "description": "YYYY-MM-DD."},
				"on_date": {"type": "string", "description": "YYYY-MM-DD for the gestational age (optional)."}}}`,
			run: typed(func(a struct {
				LMP string `json:"last_menstrual_period"`
				On  string `json:"on_date"`
			}) (any, error) {
				lmp, err := time.Parse(isoDate, a.LMP)
				if err != nil {
					return nil, fmt.Errorf("last_menstrual_period %q is not YYYY-MM-DD", a.LMP)
				}
				out := map[string]any{"due_date": lmp.AddDate(0, 0, 280).Format(isoDate)}
				if a.On != "" {
					on, err := time.Parse(isoDate, a.On)
					if err != nil {
						return nil, fmt.Errorf("on_date %q is not YYYY-MM-DD", a.On)
					}
					days := int(on.Sub(lmp).Hours() / 24)
					out["gestational_age_weeks"], out["gestational_age_days"] = days/7, days%7
				}
				return out, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_lab_units",
			description: "Convert a laboratory value between conventional units (mg/dL) and SI units (mmol/L; µmol/L for creatinine) for glucose, cholesterol, triglycerides, creatinine, urea nitrogen and calcium, by molar mass.",
			params: `{"type": "object", "required": ["analyte", "value", "from_unit"], "additionalProperties": false, "properties": {
				"analyte": {"type": "string", "enum": ["glucose", "cholesterol", "triglycerides", "creatinine", "urea_nitrogen", "calcium"]},
				"value": {"type": "number", "minimum": 0},
				"from_unit": {"type": "string", "enum": ["mg/dL", "SI"], "description": "mg/dL, or SI (mmol/L; µmol/L for creatinine)."}}}`,
			run: typed(func(a struct {
				Analyte string  `json:"analyte"`
				Value   float64 `json:"value"`
				From    string  `json:"from_unit"`
			}) (any, error) {
				f, ok := labFactors[a.Analyte]
				if !ok {
					return nil, fmt.Errorf("unknown analyte %q", a.Analyte)
				}
				if a.From == "mg/dL" {
					return map[string]any{"value": a.Value * f.factor, "unit": f.siUnit}, nil
				}
				return map[string]any{"value": a.Value / f.factor, "unit": "mg/dL"}, nil
			}),
		},
		{
			id:          "medical.clinical_calc.clinical_weight_based_dose",
			description: "Weight-based dose: mg/kg × weight, capped at a maximum dose if given, and the volume to give at a concentration (mL).",
			params: `{"type": "object", "required": ["dose_mg_per_kg", "weight_kg"], "additionalProperties": false, "properties": {
				"dose_mg_per_kg": ` + num("Dose in mg per kg.") + `, "weight_kg": ` + num("Weight in kilograms.") + `,
				"max_dose_mg": ` + num("Maximum single dose in mg (optional).") + `, "concentration_mg_per_ml": ` + num("Concentration of the preparation in mg/mL (optional).") + `}}`,
			run: typed(func(a struct {
				Dose  float64  `json:"dose_mg_per_kg"`
				W     float64  `json:"weight_kg"`
				Max   *float64 `json:"max_dose_mg"`
				Concn *float64 `json:"concentration_mg_per_ml"`
			}) (any, error) {
				d := a.Dose * a.W
				capped := false
				if a.Max != nil && d > *a.Max {
					d, capped = *a.Max, true
				}
				out := map[string]any{"dose_mg": d, "capped_at_max": capped}
				if a.Concn != nil {
					out["volume_ml"] = d / *a.Concn
				}
				return out, nil
			}),
		},
	}
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
