META
key;value
description;Municipal PB in Kraków
country;Poland
unit;Kraków
instance;2024
num_projects;119
num_votes;65101
budget;9200000
vote_type;ordinal
rule;greedy
date_begin;13.09.2024
date_end;27.09.2024
min_length;3
max_length;3
edition;11
language;pl
currency;PLN
PROJECTS
project_id;cost;votes;score;name;category;selected
BO.OM.97/24;200000;7166;16141;Diagnostyka w Schronisku dla Zwierząt - II etap;environmental protection;1
BO.OM.5/24;1500000;6998;13578;1,5 miliona złotych na nowe nasadzenia drzew i krzewów;environmental protection;1
BO.OM.182/24;1520000;4688;12041;Piłkarskie Mistrzostwa Krakowa dzieci;sport;1
BO.OM.79/24;300000;4576;10890;Książka bliżej nas;culture;1
BO.OM.25/24;1520000;5040;10861;Nowa tężnia solankowa i park!;environmental protection;1
BO.OM.67/24;1500000;5055;10631;Bagry 2.0;environmental protection;1
BO.OM.2/24;1520000;5029;10105;Poprawmy bezpieczeństwo na przejściach dla pieszych;infrastructure;1
BO.OM.1/24;1000000;5198;9837;STWÓRZMY WSPÓLNIE LAS* KRAKOWIAN | vol. 3;environmental protection;1
BO.OM.19/24;620000;5133;9797;Posadźmy drzewa przy przystankach!;environmental protection;0
BO.OM.146/24;1520000;4496;9518;Zalew Bagry - kontynuacja zagospodarowania zachodniej części;environmental protection;0
VOTES
voter_id;vote;age;sex;neighborhood
1;BO.OM.63/24,BO.OM.81/24,BO.OM.178/24;18;F;Podgórze
2;BO.OM.21/24,BO.OM.15/24,BO.OM.101/24;40;F;Bieżanów-Prokocim
3;BO.OM.88/24,BO.OM.5/24,BO.OM.192/24;36;F;Bieżanów-Prokocim
4;BO.OM.110/24,BO.OM.213/24,BO.OM.35/24;46;M;Mistrzejowice
5;BO.OM.118/24,BO.OM.117/24,BO.OM.2/24;37;M;Bieżanów-Prokocim
6;BO.OM.67/24,BO.OM.92/24,BO.OM.81/24;9;F;Podgórze
7;BO.OM.17/24,BO.OM.1/24,BO.OM.19/24;30;F;Bieżanów-Prokocim
8;BO.OM.158/24,BO.OM.13/24,BO.OM.193/24;21;M;Grzegórzki
9;BO.OM.67/24,BO.OM.92/24,BO.OM.81/24;37;F;Podgórze
10;BO.OM.146/24,BO.OM.67/24,BO.OM.203/24;73;M;Podgórze
11;BO.OM.37/24,BO.OM.40/24,BO.OM.39/24;50;F;Wzgórza Krzesławickie
12;BO.OM.165/24,BO.OM.193/24,BO.OM.30/24;45;M;Swoszowice
13;BO.OM.91/24,BO.OM.34/24,BO.OM.9/24;30;F;Prądnik Czerwony
14;BO.OM.67/24,BO.OM.1/24,BO.OM.19/24;5;M;Podgórze
15;BO.OM.19/24,BO.OM.79/24,BO.OM.182/24;31;M;Krowodrza
16;BO.OM.12/24,BO.OM.7/24,BO.OM.5/24;35;M;Prądnik Czerwony
17;BO.OM.182/24,BO.OM.207/24,BO.OM.220/24;16;M;Dębniki
18;BO.OM.13/24,BO.OM.192/24,BO.OM.5/24;9;F;Krowodrza
19;BO.OM.1/24,BO.OM.5/24,BO.OM.23/24;56;F;Grzegórzki
