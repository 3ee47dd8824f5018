META
key;value
description;Municipal PB in Toulouse
country;France
unit;Toulouse
instance;2019
num_projects;30
num_votes;1494
budget;1000000
vote_type;cumulative
rule;greedy
date_begin;11.09.2019
date_end;15.10.2019
max_points;3
max_sum_points;7
edition;1
language;fr
currency;EUR
PROJECTS
project_id;cost;votes;score;name;subunit;proposer;public_id
4;390000;471;1090;Tous à la Ramée à vélo ! A pied, en trottinette et rollers !;PRADETTES;Perrine;23
16;45000;332;877;Parc enfant sécurisé pour moins de 3 ans;MIRAIL UNIVERSITE;Ahlam et Kafine;28
13;107000;305;654;Un jardin urbain innovant pour mieux vivre ensemble au coeur des Maraîchers.  Jardinons, innovons, protégeons, partageons !;MARAICHERS;Association Jardin Partagé;2
10;2000;287;497;Halte aux moustiques !;TROIS COCUS LA VACHE;FonkDave;8
20;2000;278;415;Nichoirs pour mésanges;CEPIERE BEAUREGARD;COPROPRIETE HIPPODROME;13
30;5000;269;453;Stations vélos : atelier de réparation et de gonflage;BAFAPATABOR;Association 2Pieds 2Roues;16
29;199000;234;551;Des jardins aux Pradettes;PRADETTES;Christian Moretto + Richard SL + Malik Beldjoudi;21
1;7000;215;318;Compostons ensemble !;ARENES;Julie 21;12
5;168000;205;513;Le parc des Anges vu par ses usagers;NEGRENEYS;Les usagers du parc;1
28;100000;163;369;Equipement sportifs pour enfants et adolescents;CEPIERE BEAUREGARD;Comité de l'Ecocartoucherie;11
VOTES
voter_id;vote;points
0;15,22,25,10;2,2,2,1
1;6,25,5,22;3,2,1,1
2;22,3,20;3,2,2
3;14,23,2;3,3,1
4;5,10,11,13,20;3,1,1,1,1
5;1,25,5,7,29;2,2,1,1,1
6;5,10,13,20,30;3,1,1,1,1
7;6,7;3,3
8;14,8,2,4;3,2,1,1
9;1,6,7,9,10,20,30;1,1,1,1,1,1,1
10;6,7;3,3
11;2,14,8;3,3,1
12;23,9,17,26,30;3,1,1,1,1
13;5,4,15,20,22;3,1,1,1,1
14;6,7,10,15,23;1,1,1,1,1
15;5,22,1,14;3,2,1,1
16;1,5,7,6;2,2,2,1
17;19,6,7;3,2,2
