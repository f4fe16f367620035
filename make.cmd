@echo off
rem Windows で make の代わりに使う入口（cmd.exe でも PowerShell でも）: make.cmd demo / make.cmd collect YEAR=2025
rem 中身は tools\make.py（Makefile と同じターゲット・同じ YEAR= などの指定・同じ終了コード）。
rem cmd.exe が読めるよう、このファイルは cp932・CRLF で保存しています。
setlocal
cd /d "%~dp0"
set "PYEXE="
if exist ".venv\Scripts\python.exe" set "PYEXE=.venv\Scripts\python.exe"
if not defined PYEXE if defined GYOZAI_PYTHON set "PYEXE=%GYOZAI_PYTHON%"
if not defined PYEXE py -3 --version >nul 2>nul && set "PYEXE=py -3"
if not defined PYEXE python --version >nul 2>nul && set "PYEXE=python"
if not defined PYEXE (
    echo Python 3.11 以降が見つかりません。python.org の Windows 版（64 ビット）を入れてから、もう一度実行してください。 1>&2
    exit /b 2
)
%PYEXE% tools\make.py %*
exit /b %ERRORLEVEL%
