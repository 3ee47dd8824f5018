META
key;value
budget;100.5
vote_type;cumulative
PROJECTS
project_id;cost;name
a;10;"quoted; name"
b;20.25;B
VOTES
voter_id;vote;points
1;a,b;3,2
2;b;5
