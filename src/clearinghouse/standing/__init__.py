"""Member standing: the compliance record that obligations leave, sanctions (suspension
for a period, reassessment), and what a suspended member may still receive."""
