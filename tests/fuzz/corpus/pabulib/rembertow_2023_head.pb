META
key;value
description;District PB in Warszawa, Rembertów
country;Poland
unit;Warszawa
district;Rembertów
subunit;Rembertów
instance;2023
num_projects;38
num_votes;1172
budget;1011308
vote_type;approval
rule;greedy
date_begin;15.06.2022
date_end;30.06.2022
min_length;1
max_length;15
edition;9
language;pl
currency;PLN
comment;#1: If a given project has multiple coordinates, then the average over these coordinates is taken.
PROJECTS
project_id;cost;votes;name;category;beneficiaries;selected;latitude;longitude
1639;202100;650;Zagospodarowanie Górki przy ul. Strażackiej;urban greenery,sport,public space;people with disabilities,seniors,adults,youth,children;1;52.261600874009;21.155212264138
839;175000;483;Nasadzenia krzewów w dzielnicy Rembertów;urban greenery,public space,environmental protection;adults,children;1;52.252475608006;21.12351398468
1147;202000;470;Bouldering w Rembertowie (skała wspinaczkowa);sport,public space;seniors,adults,youth,children;1;52.26546485109;21.164681767324335
1090;15215;459;Lustra drogowe ułatwiające wyjazd z ulic osiedlowych;public space,public transit and roads;people with disabilities,seniors,adults,youth,children;1;52.255021790548994;21.14302023595
840;145000;455;Nowości wydawnicze i spotkania w Bibliotece;culture,education;people with disabilities,seniors,adults,youth,children;1;52.258524460024;21.162918806076
209;200000;451;Zielone przystanki autobusowe w Rembertowie;urban greenery,public space,public transit and roads;people with disabilities,seniors,adults,youth,children;1;52.2616116348845;21.1650779843335
208;135000;446;Modernizacja placu zabaw w dzielnicy Rembertów;urban greenery,public space,welfare;seniors,adults,youth,children;0;52.257977140448;21.159068808824
874;97500;436;Miejskie kosze do segregacji odpadów;public space,environmental protection,education;people with disabilities,seniors,adults,youth,children;0;52.262360379689504;21.168382851166502
1569;85000;434;Zielona przestrzeń relaksu - bezpieczny, zielony, dostępny teren na wydarzenia kulturalne dla dorosłych i dzieci;public space,culture;people with disabilities,seniors,adults,youth,children;0;52.254226073905;21.163321137428
393;200000;391;Więcej ławek w Rembertowie;urban greenery,public space;seniors,adults,youth,children;0;52.25843835302;21.161466955598
849;40600;369;Rembertowski Uniwersytet Dziecięcy w Bibliotece;culture,education;children;1;52.258524460024;21.162918806076
470;96186;352;Siłownia plenerowa przy LI Liceum Ogólnokształcącym im. Tadeusza Kościuszki w Warszawie;sport;people with disabilities,seniors,adults,youth,children;0;52.265150892801;21.16679431712
873;55000;344;Likwidacja barier architektonicznych w Rembertowie;public space,public transit and roads;people with disabilities,seniors,adults,children;0;52.262035789145;21.177071122117
1697;176000;299;Kolorowe gry podwórkowe na chodnikach;public space,culture,education;youth,children;0;52.259238087014;21.16270164194
1089;60000;290;Ławki do karmienia oraz przewijania dzieci na placach zabaw Rembertowa;public space,welfare;people with disabilities,seniors,adults,youth,children;0;52.254184579010335;21.154068192352003
394;81000;288;Antysmogowy mural w Rembertowie na SP 217;urban greenery,public space,environmental protection;people with disabilities,seniors,adults,youth,children;0;52.263189795208;21.15673075085
950;35500;282;Warsztaty teatralne dla dzieci i młodzieży;culture,education;people with disabilities,youth,children;0;52.246931984439;21.135442256927
VOTES
voter_id;vote;age;sex;voting_method
63;209,393,470,782,839,849,874,950,1147,1257,1384,1569,1692,1899,1910;38;F;internet
82;209,782,839,873,874,1087,1090,1147,1180,1260,1569,1639,1712;42;F;internet
85;782;43;F;internet
149;208,209,394,398,470,874,1087,1089,1180,1257,1564,1569,1639,1712,1899;16;M;internet
187;839,840,909,950,1087,1089,1090,1147,1257,1258,1259,1260,1324,1697,1712;41;F;internet
298;393,873,874,1087,1090,1260,1697;40;F;internet
411;840,1087,1090,1257,1258,1259,1260,1324;49;F;internet
629;209,395,398,839,849,873,950,1090,1257,1564,1569,1639,1692,1697,1703;40;F;internet
747;208,209,398,840,849,873,950,1089,1090,1564,1569,1639,1692,1883,1899;36;F;internet
779;394,782;59;M;internet
886;209,840,849,873,874,1089,1147,1180,1257,1259,1384,1639,1907;43;F;internet
940;782,839,1090;14;M;internet
970;209,393,394,395,398,782,839,873,874,1087,1090,1180,1259,1564,1639;15;M;internet
1010;208,840,849,874,950,1258,1259,1384,1569,1639,1697,1712,1883,1899,1910;48;F;internet
1017;208,393,395,782,950,1089,1147,1257,1258,1260,1324,1569,1639,1697,1899;35;F;internet
1023;209,395,470,782,840,849,874,950,1147,1564,1712,1883,1899,1907,1910;14;F;internet
1025;470;44;M;internet
