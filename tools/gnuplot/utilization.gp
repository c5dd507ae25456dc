# utilization.gp - utilization of each station as a horizontal bar, with
# its 95% confidence interval and its staffing in the label; bars coloured
# by line (one series per line).
#
# Data (data_file): one block per line; columns: x (the station's position,
# 0 at the top), station, staffing (text, e.g. "4 servers"), util_pct,
# ci_low_pct, ci_high_pct, servers.
# Variables: n_bars (stations), target_value (%, NaN: none), target_label.

set xlabel y_label
set ylabel ""
# Room right of 100% for the value labels; the axis is marked to 100%.
set xrange [0:112]
set xtics 0, 20, 100 nomirror
set mxtics 2
set yrange [n_bars - 0.4 : -0.6]
set ytics scale 0 nomirror
set grid noytics
set grid xtics lc rgb grid_colour lw 1 dt 1
set border 1 lc rgb "#555555"
set style fill solid 0.85 noborder
# The station labels set the left margin (gnuplot sizes it to them).
unset lmargin
bar_half = 0.34
if (target_value == target_value) {
    set arrow 1 from first target_value, graph 0 to first target_value, graph 1 nohead lc rgb "#000000" lw 1.5 dt 2 back
    set label 2 target_label at first target_value, graph 1 offset 0.5, -0.8 left textcolor rgb "#000000" front
}
# Labels: the value past the end of the whisker, on white so that a
# target line behind does not cut through it.
set style textbox opaque fillcolor rgb "#ffffff" noborder margins 0.5, 0.5
plot for [i=1:n_series] data_file index (i-1) using ($4/2):1:($4/2):(bar_half):ytic(strcol(2)."  (".strcol(3).")") with boxxyerror lc i title series_title[i], \
     for [i=1:n_series] data_file index (i-1) using 5:1:($6 - $5):(0) with vectors heads size screen 0.006,90 lc rgb "#333333" dt 1 lw 1.5 notitle, \
     for [i=1:n_series] data_file index (i-1) using (($6 == $6 ? $6 : $4) + 1):1:(sprintf("%.0f%%", $4)) with labels left boxed textcolor rgb "#222222" notitle
