# sweep.gp - a metric against a parameter varied between runs: one curve
# per class, station (or combination of other varied parameters), points
# with their 95% confidence intervals as error bars.
#
# Data (data_file): one block per series; columns: x (the parameter value,
# or its position when x_is_text), mean, ci_low, ci_high, n, value (the
# parameter as written), run_id.
# Variables: x_is_text (1: label the points with the value column),
# x_step (tick spacing, NaN: automatic),
# target_value (NaN: none; a horizontal line), target_label.

set xlabel x_label
set ylabel y_label
set yrange [0:*]
set offsets graph 0.04, graph 0.04, graph 0.05, 0
set grid xtics ytics lc rgb grid_colour lw 1 dt 1
if (x_step == x_step) { set xtics x_step }
if (target_value == target_value) {
    set arrow 1 from graph 0, first target_value to graph 1, first target_value nohead lc rgb "#000000" lw 1.5 dt 2 back
    set label 2 target_label at graph 0, first target_value offset 0.5, 0.6 left textcolor rgb "#000000" front
}
if (x_is_text) {
    plot for [i=1:n_series] data_file index (i-1) using 1:2:3:4:xtic(strcol(6)) with yerrorlines lt i lw 2.5 title series_title[i]
} else {
    plot for [i=1:n_series] data_file index (i-1) using 1:2:3:4 with yerrorlines lt i lw 2.5 title series_title[i]
}
