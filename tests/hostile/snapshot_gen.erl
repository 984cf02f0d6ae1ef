%% Writes snapshots whose frames are sound (lengths, CRCs, external terms)
%% but whose terms are not what docs/snapshot-format.md says: wrong types,
%% wrong shapes, foreign pids, hostile names, deep and wide terms, frames
%% out of order. Used by tests/hostile/snapshot.sh.
-module(snapshot_gen).
-export([main/1]).

-define(P1, [registered_name, initial_call, status, message_queue_len, reductions,
             heap_size, stack_size, trap_exit, priority, group_leader, heap_block_size,
             old_heap_block_size, old_heap_size, mbuf_size, bin_vheap_size, bin_old_vheap_size]).

main([Dir]) ->
    [write(filename:join(Dir, atom_to_list(Name) ++ ".bdsnap"), Frames) || {Name, Frames} <- cases()],
    halt().

write(Path, Frames) ->
    Bytes = [begin B = term_to_binary(F, [compressed]),
                   [<<(byte_size(B)):32>>, B, <<(erlang:crc32(B)):32>>]
             end || F <- Frames],
    ok = file:write_file(Path, [<<16#89, "BDSNAP\n", 1:16, 0:16>> | Bytes]).

pid(N) -> c:pid(0, N, 0).
header(Extra) ->
    {header, maps:merge(#{format => {1, 0}, node => node(), otp_release => "25", wordsize => 8,
                          system_version => "Erlang/OTP 25", time => 1765000000000000,
                          capture => #{profile => gentle, keys_p1 => ?P1, capturing_pids => []}},
                        Extra)}.
row(N) -> row(N, {m, f, 0}).
row(N, Init) -> list_to_tuple([pid(N), [], Init, waiting, 0, 1, 233, 1, false, normal, pid(0),
                         233, 0, 0, 0, 0, 0]).
done() -> {'end', #{procs => 1, aborted => false}}.
deep(0) -> leaf;
deep(N) -> [deep(N - 1)].

cases() ->
    Evil = list_to_atom("x\n=proc:<0.1.0>\nState: Running\e[2J'\\"),
    Foreign = spawn_remote_like(),
    [{header_only, [header(#{}), done()]},
     {bad_header_types, [header(#{node => 42, wordsize => 3, time => -5, system_version => 7,
                                 capture => not_a_map}), {procs, 1, 0, [row(1)]}, done()]},
     {keys_not_a_list, [header(#{capture => #{keys_p1 => {a, b}, capturing_pids => self}}),
                        {procs, 1, 0, [row(1)]}, done()]},
     {keys_too_many, [header(#{capture => #{keys_p1 => lists:duplicate(200, reductions)}}),
                      {procs, 1, 0, [list_to_tuple([pid(1) | lists:seq(1, 200)])]}, done()]},
     {rows_wrong, [header(#{}),
                   {procs, 1, 0, not_a_list},
                   {procs, 2, 0, [{}, {pid(1)}, {dead, 7}, row(2), {1, 2, 3}, [a], <<"bin">>,
                                  list_to_tuple([pid(3) | lists:duplicate(16, -1)]),
                                  list_to_tuple([pid(4) | lists:duplicate(16, 1 bsl 80)]),
                                  list_to_tuple([pid(5), Evil, {Evil, Evil, -1}, Evil
                                                 | lists:duplicate(13, 2.5)]),
                                  row(2), row(2)]},
                   {procs, 3, 0, [list_to_tuple([Foreign | tl(tuple_to_list(row(9)))])]},
                   done()]},
     {detail_wrong, [header(#{}), {procs, 1, 0, [row(1), row(2), row(3)]},
                     {detail, 1, [{pid(1), [x], not_a_map},
                                  {pid(2), [x], #{links => 5, monitors => [{process, 1}, x, {a}],
                                                  monitored_by => [Evil, Foreign],
                                                  binary => [{a, b, c}, {1, -2, 3}, {1 bsl 70, 1, 1}],
                                                  dictionary => [{'$ancestors', [Evil, pid(99), 3]},
                                                                 {'$process_label', deep(5000)},
                                                                 {'$initial_call', {Evil, Evil, 1}},
                                                                 broken],
                                                  current_stacktrace => [{m, f, [a, b], []}, junk,
                                                                         {Evil, Evil, -1, []}],
                                                  memory => -1}},
                                  {pid(3), x, #{dictionary => [{'$process_label',
                                                  maps:from_list([{I, <<I:64>>} || I <- lists:seq(1, 20000)])},
                                                 {'$ancestors', [Foreign]}],
                                                binary => lists:duplicate(10000, {1234, 1 bsl 40, 2})}},
                                  {pid(77), [x], #{}},
                                  not_a_tuple]},
                     done()]},
     {backtrace_wrong, [header(#{}), {procs, 1, 0, [row(1), row(2)]},
                        {backtrace, [{pid(1), <<"Program counter: 0x0 (\n"
                                                "y(99999999999999)     1\n"
                                                "y(x)     2\n"
                                                "y(3     4\n"
                                                "y(4)     'a\\'b\\\\'\n"
                                                "y(5)     -123456789012345678901234567890\n"
                                                "0xZZ Return addr \n"
                                                "0x1 Return addr 0x2 (m:f/1 + 0)\r\n"
                                                "=proc:<0.1.0>\n">>},
                                     {pid(2), not_a_binary}, {pid(3), <<"y(0) []">>}, bare]},
                        done()]},
     {system_wrong, [header(#{}), {procs, 1, 0, [row(1)]},
                     {memory, [{total, -1}, {Evil, 5}, x, {binary, 1 bsl 70}]},
                     {ets, [[{owner, pid(1)}, {name, Evil}, {size, -1}, {type, Evil}, {id, make_ref()}],
                            [{owner, Foreign}, {name, t}], not_a_list, [x, {y}]]},
                     {atoms, x, y}, {atoms, 1 bsl 70, -1},
                     {sample, 1, 0, [{pid(1), -5, 0, 0}, {pid(1), 1 bsl 70, 0, 0}, junk]},
                     {unknown_tag, 1, 2, 3}, {}, done()]},
     {states_wrong, [header(#{capture => #{profile => gentle, keys_p1 => ?P1, capturing_pids => [],
                                           state => true}}),
                     {procs, 1, 0, [row(N, {proc_lib, init_p, 5}) || N <- lists:seq(1, 6)]},
                     {detail, 1, [{pid(2), [x], #{binary => [{7, 100, 1}, {8, 1 bsl 40, 1}, {9, 65, 2}]}}]},
                     {states, 1, [{pid(1), gen_server, {ok, deep(5000)}},
                                  {pid(2), gen_server, {ok, [<<0:800>>, <<0:800>>, <<0:520>>, <<0:8000>>,
                                                             <<0:80000>>], -7}},
                                  {pid(3), gen_statem, {ok, not_a_pair, 1 bsl 70}},
                                  {pid(4), gen_event, {ok, [x, {}, {Evil, 1, 2}]}},
                                  {pid(5), Evil, {ok, #{Evil => Foreign}, 5}},
                                  {pid(6), 42, {ok, x}},
                                  {pid(1), gen_server, {ok, twice}},
                                  {Foreign, gen_server, {ok, foreign}},
                                  {pid(7), gen_server, no_answer}, {pid(8), gen_server, {too_big, 1}},
                                  {pid(9)}, junk]},
                     {states, 2, not_a_list}, {states_not_read, 42}, {states_not_read, Evil},
                     done()]},
     {atoms_window, [header(#{}), {procs, 1, 0, [row(1)]}, {atoms, 50000, 1048576},
                     {atoms_window, 2000000, 50000, 52000}, done()]},
     {atoms_window_wrong, [header(#{}), {procs, 1, 0, [row(1)]}, {atoms, 50000, 1048576},
                           {atoms_window, 0, 50000, 52000}, {atoms_window, 1, 2}, done()]},
     {atoms_shrunk, [header(#{}), {procs, 1, 0, [row(1)]}, {atoms, 50000, 100},
                     {atoms_window, 2000000, 5000, 10}, done()]},
     {after_end, [header(#{}), {procs, 1, 0, [row(1)]}, done(), {procs, 2, 0, [row(2)]}]},
     {no_procs_frames, [header(#{}), {detail, 1, [{pid(1), [x], #{memory => 1}}]}, done()]},
     {header_twice, [header(#{}), header(#{node => other@host}), {procs, 1, 0, [row(1)]}, done()]},
     {first_not_header, [{procs, 1, 0, [row(1)]}, header(#{}), done()]}].

%% A pid of another node, made without a second node: its external form.
spawn_remote_like() ->
    binary_to_term(<<131, 88, 100, 0, 11, "other@nohost", 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1>>).
