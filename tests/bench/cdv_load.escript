#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% cdv_load.escript: time OTP's crashdump_viewer (observer) loading a dump,
%% headless, as a reference point for beamdump.
%%
%% Usage: cdv_load.escript DUMP [proc PID]
%%   DUMP may be gzipped (*.gz); it is then inflated to a temp file first.
%% Output (one "key value" per line):
%%   cdv_read_s <seconds>        read_file/1 until the viewer reports done
%%   cdv_general_info_s <seconds> general_info/0 (what the GUI shows first)
%%   cdv_processes_s <seconds>   processes/0 (the process summary table)
%%   cdv_nprocs <N>              number of processes in that table
%%   cdv_proc_s <seconds>        proc_details/1 of PID (only with "proc PID")
%%   cdv_truncated <0|1>         whether cdv warned the dump is truncated
%%   cdv_proc_error 1            proc_details/1 crashed (exit status 1); the
%%                               OTP 25 viewer does so on literal atoms that
%%                               contain a newline, e.g. fixtures/basic
%%
%% crashdump_viewer reports progress by sending {progress, P} to a process
%% registered as cdv_progress_handler (observer_lib:report_progress/1). A
%% finished read ends with {progress, {ok, done}}; a failed one with
%% {progress, {error, Reason}}. All other progress reports are ignored here.

main([Dump | Rest]) ->
    {Path, Cleanup} = plain_file(Dump),
    %% Never let a crash reach init: that would write an erl_crash.dump
    %% into the current directory.
    R = try run(Path, Rest), ok
        catch C:E -> {C, E}
        end,
    Cleanup(),
    case R of
        ok -> halt(0);
        {Class, Err} ->
            io:format(standard_error, "cdv_load: ~w: ~tP~n", [Class, Err, 30]),
            halt(1)
    end;
main(_) ->
    usage().

usage() ->
    io:format(standard_error, "usage: cdv_load.escript DUMP [proc PID]~n", []),
    halt(2).

plain_file(Dump) ->
    case filename:extension(Dump) of
        ".gz" ->
            Tmp = filename:join(tmp_dir(), "cdv_load_" ++ os:getpid() ++ ".dump"),
            {ok, Gz} = file:read_file(Dump),
            ok = file:write_file(Tmp, zlib:gunzip(Gz)),
            {Tmp, fun() -> file:delete(Tmp) end};
        _ ->
            {Dump, fun() -> ok end}
    end.

tmp_dir() ->
    case os:getenv("TMPDIR") of
        false -> "/tmp";
        "" -> "/tmp";
        D -> D
    end.

run(Path, Rest) ->
    Self = self(),
    Handler = spawn_link(fun() -> progress_handler(Self) end),
    register(cdv_progress_handler, Handler),
    {ok, Cdv} = crashdump_viewer:start_link(),
    unlink(Cdv),   % a viewer crash must come back as an error, not kill us
    Mon = monitor(process, Cdv),
    T0 = erlang:monotonic_time(),
    ok = crashdump_viewer:read_file(Path),
    receive
        {cdv_done, ok} -> ok;
        {cdv_done, {error, Reason}} ->
            io:format(standard_error, "cdv could not read ~ts: ~tp~n", [Path, Reason]),
            halt(1);
        {'DOWN', Mon, process, _, Why} ->
            io:format(standard_error, "cdv crashed reading ~ts: ~tP~n", [Path, Why, 30]),
            halt(1)
    end,
    T1 = erlang:monotonic_time(),
    %% The GUI always asks for general_info first; it also sets the word size.
    {ok, _General, _} = crashdump_viewer:general_info(),
    T1b = erlang:monotonic_time(),
    {ok, Procs, TW} = crashdump_viewer:processes(),
    T2 = erlang:monotonic_time(),
    io:format("cdv_read_s ~.3f~n", [secs(T1 - T0)]),
    io:format("cdv_general_info_s ~.3f~n", [secs(T1b - T1)]),
    io:format("cdv_processes_s ~.3f~n", [secs(T2 - T1b)]),
    io:format("cdv_nprocs ~w~n", [length(Procs)]),
    io:format("cdv_truncated ~w~n", [case TW of [] -> 0; _ -> 1 end]),
    case Rest of
        ["proc", Pid] ->
            T3 = erlang:monotonic_time(),
            R = (catch crashdump_viewer:proc_details(Pid)),
            T4 = erlang:monotonic_time(),
            case R of
                {ok, _Proc, _} -> io:format("cdv_proc_s ~.3f~n", [secs(T4 - T3)]);
                Err -> io:format(standard_error, "cdv proc_details ~s failed: ~tP~n",
                                 [Pid, Err, 30]),
                       io:format("cdv_proc_error 1~n"),
                       halt(1)
            end;
        [] -> ok;
        _ -> usage()
    end,
    ok.

secs(NativeDiff) ->
    erlang:convert_time_unit(NativeDiff, native, microsecond) / 1.0e6.

progress_handler(Main) ->
    receive
        {progress, {ok, done}} -> Main ! {cdv_done, ok};
        {progress, {error, _} = E} -> Main ! {cdv_done, E};
        _Other -> ok
    end,
    progress_handler(Main).
