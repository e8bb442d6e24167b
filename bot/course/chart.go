package course

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/checkinbot/checkinbot/flows"
)

// The chart is three stacked panels sharing the time axis, sized for a
// phone held upright (Instagram's portrait 4:5, which Telegram shows
// without cropping): scores with their severity bands shaded, blood
// pressure and pulse, and the events (doses, holds, escalations).
const (
	ChartWidth  = 1080 // pixels
	ChartHeight = 1350 // pixels
	// chartDPI makes 12-point text 30 pixels high: readable when the
	// picture is shown about 400 points wide on a phone.
	chartDPI = 180
)

// Event rows of the bottom panel, from the bottom; the space above them
// holds the legend, so it never covers a mark.
const (
	rowDose       = 1
	rowHold       = 2
	rowEscalation = 3
	rowsTop       = 5.2
)

// Points counts what a chart plotted, so tests can check the picture
// against the data without reading pixels.
type Points struct {
	PHQ9, GAD7, Readings, Doses, Holds, Escalations int
}

// Colours, chosen to stay apart for the common colour-vision deficiencies
// (Okabe–Ito palette).
var (
	colPHQ9      = color.RGBA{0, 114, 178, 255}   // blue
	colGAD7      = color.RGBA{213, 94, 0, 255}    // vermillion
	colSystolic  = color.RGBA{204, 121, 167, 255} // reddish purple
	colDiastolic = color.RGBA{86, 180, 233, 255}  // sky blue
	colPulse     = color.RGBA{0, 158, 115, 255}   // bluish green
	colDose      = color.RGBA{0, 0, 0, 255}
	colHold      = color.RGBA{230, 159, 0, 255} // orange
	levelColours = map[flows.Level]color.Color{
		flows.Urgent:  color.RGBA{200, 0, 0, 255},
		flows.High:    color.RGBA{230, 159, 0, 255},
		flows.Routine: color.RGBA{120, 120, 120, 255},
	}
)

// severityBands are the PHQ-9 cut-offs (GAD-7 shares the first three; its
// "severe" starts at 15), shaded from light to dark.
var severityBands = []struct {
	from, to float64
	label    string
	shade    uint8
}{
	{0, 5, "minimal", 250}, {5, 10, "mild", 238}, {10, 15, "moderate", 224},
	{15, 20, "mod. severe", 208}, {20, 27, "severe", 192},
}

// Chart draws the course as a ChartWidth×ChartHeight PNG, times in loc.
func (c Course) Chart(loc *time.Location) ([]byte, Points, error) {
	var pts Points
	from, last, ok := c.Span()
	if !ok {
		return nil, pts, fmt.Errorf("course: nothing recorded for %s", c.Label)
	}
	to := last
	// Pad the time axis so the first and last points are not on its edge,
	// and show at least a week so a single day is not stretched across.
	if to.Sub(from) < 7*24*time.Hour {
		to = from.Add(7 * 24 * time.Hour)
	}
	pad := to.Sub(from) / 30
	xMin, xMax := unix(from.Add(-pad)), unix(to.Add(pad))
	ticks := weekTicks{loc: loc}

	scores, err := c.scorePanel(xMin, xMax, &pts)
	if err != nil {
		return nil, pts, err
	}
	vitals, err := c.vitalsPanel(xMin, xMax, &pts)
	if err != nil {
		return nil, pts, err
	}
	events, err := c.eventPanel(xMin, xMax, &pts)
	if err != nil {
		return nil, pts, err
	}
	scores.Title.Text = fmt.Sprintf("%s, %s – %s", c.Label, from.In(loc).Format("Jan 2"), last.In(loc).Format("Jan 2 2006"))
	for _, p := range []*plot.Plot{scores, vitals, events} {
		p.X.Min, p.X.Max = xMin, xMax
		p.X.Tick.Marker = ticks
		p.Legend.Top, p.Legend.Left = true, true
		p.Add(plotter.NewGrid())
	}
	events.Legend.Left = false

	img := vgimg.NewWith(
		vgimg.UseWH(vg.Length(ChartWidth)/chartDPI*vg.Inch, vg.Length(ChartHeight)/chartDPI*vg.Inch),
		vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(10), PadY: vg.Points(6)}
	canvases := plot.Align([][]*plot.Plot{{scores}, {vitals}, {events}}, tiles, dc)
	scores.Draw(canvases[0][0])
	vitals.Draw(canvases[1][0])
	events.Draw(canvases[2][0])

	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, pts, fmt.Errorf("course: encode chart: %w", err)
	}
	return buf.Bytes(), pts, nil
}

// scorePanel plots the PHQ-9 and GAD-7 totals over the severity bands.
func (c Course) scorePanel(xMin, xMax float64, pts *Points) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "PHQ-9 / GAD-7 total"
	p.Y.Min, p.Y.Max = 0, 27
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 5, Label: "5"}, {Value: 10, Label: "10"},
		{Value: 15, Label: "15"}, {Value: 20, Label: "20"}, {Value: 27, Label: "27"}}
	var bandLabels plotter.XYLabels
	for _, b := range severityBands {
		poly, err := plotter.NewPolygon(plotter.XYs{{X: xMin, Y: b.from}, {X: xMax, Y: b.from}, {X: xMax, Y: b.to}, {X: xMin, Y: b.to}})
		if err != nil {
			return nil, err
		}
		poly.Color = color.Gray{Y: b.shade}
		poly.LineStyle.Width = 0
		p.Add(poly)
		bandLabels.XYs = append(bandLabels.XYs, plotter.XY{X: xMax, Y: b.from + 0.4})
		bandLabels.Labels = append(bandLabels.Labels, b.label+" ")
	}
	labels, err := plotter.NewLabels(bandLabels)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = draw.XRight
		labels.TextStyle[i].Color = color.Gray{Y: 90}
	}
	p.Add(labels)
	for _, s := range []struct {
		name   string
		ps     []ScorePoint
		col    color.Color
		glyph  draw.GlyphDrawer
		counts *int
	}{
		{"PHQ-9", c.PHQ9, colPHQ9, draw.CircleGlyph{}, &pts.PHQ9},
		{"GAD-7", c.GAD7, colGAD7, draw.SquareGlyph{}, &pts.GAD7},
	} {
		xys := make(plotter.XYs, len(s.ps))
		for i, sp := range s.ps {
			xys[i] = plotter.XY{X: unix(sp.At), Y: float64(sp.Total)}
		}
		if err := addSeries(p, s.name, xys, s.col, s.glyph); err != nil {
			return nil, err
		}
		*s.counts = len(xys)
	}
	return p, nil
}

// vitalsPanel plots systolic, diastolic and pulse readings.
func (c Course) vitalsPanel(xMin, xMax float64, pts *Points) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "mmHg / beats per min"
	p.Y.Min, p.Y.Max = 40, 200
	sys := make(plotter.XYs, len(c.Readings))
	dia := make(plotter.XYs, len(c.Readings))
	pulse := make(plotter.XYs, len(c.Readings))
	for i, r := range c.Readings {
		x := unix(r.At)
		sys[i] = plotter.XY{X: x, Y: float64(r.Systolic)}
		dia[i] = plotter.XY{X: x, Y: float64(r.Diastolic)}
		pulse[i] = plotter.XY{X: x, Y: float64(r.Pulse)}
		p.Y.Max = max(p.Y.Max, float64(r.Systolic)+10)
		p.Y.Min = min(p.Y.Min, float64(min(r.Diastolic, r.Pulse))-10)
	}
	for _, s := range []struct {
		name  string
		xys   plotter.XYs
		col   color.Color
		glyph draw.GlyphDrawer
	}{
		{"systolic", sys, colSystolic, draw.TriangleGlyph{}},
		{"diastolic", dia, colDiastolic, draw.SquareGlyph{}},
		{"pulse", pulse, colPulse, draw.CircleGlyph{}},
	} {
		if err := addSeries(p, s.name, s.xys, s.col, s.glyph); err != nil {
			return nil, err
		}
	}
	pts.Readings = len(c.Readings)
	return p, nil
}

// eventPanel marks doses, holds and escalations (by level) on three rows.
func (c Course) eventPanel(xMin, xMax float64, pts *Points) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Min, p.Y.Max = 0.4, rowsTop
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: rowEscalation, Label: "escalation"}, {Value: rowHold, Label: "held"}, {Value: rowDose, Label: "dose"}}
	doses := make(plotter.XYs, len(c.Doses))
	for i, t := range c.Doses {
		doses[i] = plotter.XY{X: unix(t), Y: rowDose}
	}
	if err := addMarks(p, "", doses, colDose, draw.PlusGlyph{}); err != nil {
		return nil, err
	}
	holds := make(plotter.XYs, len(c.Holds))
	for i, h := range c.Holds {
		holds[i] = plotter.XY{X: unix(h.At), Y: rowHold}
	}
	if err := addMarks(p, "", holds, colHold, draw.CrossGlyph{}); err != nil {
		return nil, err
	}
	for _, l := range levelOrder {
		var xys plotter.XYs
		for _, e := range c.Escalations {
			if e.Level == l {
				xys = append(xys, plotter.XY{X: unix(e.At), Y: rowEscalation})
			}
		}
		if err := addMarks(p, string(l), xys, levelColours[l], draw.TriangleGlyph{}); err != nil {
			return nil, err
		}
		pts.Escalations += len(xys)
	}
	pts.Doses, pts.Holds = len(doses), len(holds)
	return p, nil
}

// addSeries adds a line with a glyph on every point; nothing when empty.
func addSeries(p *plot.Plot, name string, xys plotter.XYs, col color.Color, glyph draw.GlyphDrawer) error {
	if len(xys) == 0 {
		return nil
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	line.Color = col
	line.Width = vg.Points(2)
	sc, err := scatter(xys, col, glyph)
	if err != nil {
		return err
	}
	p.Add(line, sc)
	p.Legend.Add(name, line, sc)
	return nil
}

// addMarks adds glyphs only, named in the legend unless name is ""; nothing
// when empty.
func addMarks(p *plot.Plot, name string, xys plotter.XYs, col color.Color, glyph draw.GlyphDrawer) error {
	if len(xys) == 0 {
		return nil
	}
	sc, err := scatter(xys, col, glyph)
	if err != nil {
		return err
	}
	p.Add(sc)
	if name != "" {
		p.Legend.Add(name, sc)
	}
	return nil
}

func scatter(xys plotter.XYs, col color.Color, glyph draw.GlyphDrawer) (*plotter.Scatter, error) {
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: glyph}
	return sc, nil
}

// weekTicks marks the start of each week (Monday, clinic time) on the time
// axis, every other week or more when the course is long, so the labels
// stay few enough to read on a phone.
type weekTicks struct{ loc *time.Location }

// maxTickLabels is how many dates fit under a chart on a phone.
const maxTickLabels = 6

// Ticks returns the week ticks between min and max (unix seconds).
func (w weekTicks) Ticks(minX, maxX float64) []plot.Tick {
	start := time.Unix(int64(minX), 0).In(w.loc)
	end := time.Unix(int64(maxX), 0)
	monday := time.Date(start.Year(), start.Month(), start.Day()-(int(start.Weekday())+6)%7, 0, 0, 0, 0, w.loc)
	weeks := int(end.Sub(monday).Hours()/(24*7)) + 1
	step := 1
	for weeks/step > maxTickLabels {
		step *= 2
	}
	var ticks []plot.Tick
	for i := 0; ; i++ {
		t := monday.AddDate(0, 0, 7*i)
		if t.After(end) {
			break
		}
		if t.Before(start) {
			continue
		}
		label := ""
		if i%step == 0 {
			label = t.Format("Jan 2")
		}
		ticks = append(ticks, plot.Tick{Value: unix(t), Label: label})
	}
	return ticks
}

// unix is t on the chart's time axis.
func unix(t time.Time) float64 { return float64(t.Unix()) }
