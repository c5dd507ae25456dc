# timeseries.gp - a sampled quantity (queue length, number in a zone, number
# in the system) against time: by time of day (absolute = 0: days folded,
# x = hour 0-24) or through the run (absolute = 1: x = simulated day).
#
# Data (data_file): one block per series, blocks separated by two blank
# lines; columns: x, mean, ci_low, ci_high, n (replications).
# Variables: x_label, y_label, series_title[n_series], absolute, warmup
# (days; shaded when absolute = 1), target_value (NaN: none), target_label.

set xlabel x_label
set ylabel y_label
set yrange [0:*]
if (absolute) {
    set xrange [0:*]
    set xtics 1
    if (warmup > 0) {
        set object 1 rect from first 0, graph 0 to first warmup, graph 1 behind fc rgb "#eeeeee" fs solid 1.0 noborder
        set label 1 warmup_label at first warmup/2, graph 0.97 center textcolor rgb grey_text
    }
} else {
    set xrange [0:24]
    set xtics 0, 3, 24
    set mxtics 3
}
if (target_value == target_value) {
    set arrow 1 from graph 0, first target_value to graph 1, first target_value nohead lc rgb "#000000" lw 1.5 dt 2 back
    set label 2 target_label at graph 0.01, first target_value offset 0, 0.6 left textcolor rgb "#000000" front
}
plot for [i=1:n_series] data_file index (i-1) using 1:3:4 with filledcurves lc i notitle, \
     for [i=1:n_series] data_file index (i-1) using 1:2 with lines lc i dt 1 lw 2.5 title series_title[i]
