"""The package's version, in a module of its own at the bottom layer: parts that stamp results
with it (the results cache, the HTML report, the study's README) need not import the root
package, which the import layering cannot see."""
__version__ = "0.1.0"
