-- Sites' scores of an EVALUATING round's candidates (candidate 0 = the site's reference model): counts only.
create table evaluation_report (
    round_id     varchar(36) not null references round(id),
    node_id      varchar(36) not null references node(id),
    candidate    int not null,
    n            int not null,
    correct      int not null,
    correct_norm int not null,
    reference    varchar(16) not null,
    reported_at  timestamp not null,
    primary key (round_id, node_id, candidate)
);
