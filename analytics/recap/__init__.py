"""The recap a manager reads on Monday: the week's (or month's) numbers put together from the services that
compute them (`data`), kept as a snapshot (`snapshots`), and rendered as a page, HTML file or XLSX."""
