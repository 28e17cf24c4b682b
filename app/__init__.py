"""The Streamlit app around queries/: page scripts in app/pages/, and what they share (sign-in, the sidebar, cached
reads, layout, turns) beside them."""
