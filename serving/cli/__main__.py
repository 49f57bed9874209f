from serving.cli.main import cli

cli()
